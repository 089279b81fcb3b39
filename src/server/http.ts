/**
 * The operator's HTTP port (default 9464): /metrics for Prometheus, / for the status page,
 * /status.json for scripts. Separate from gRPC so scraping never competes with the API port.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';

export interface HttpRoutes {
  metrics: () => Promise<string>;
  metricsContentType: string;
  statusHtml: () => Promise<string> | string;
  statusJson: () => unknown;
}

export async function startHttp(host: string, port: number, routes: HttpRoutes, log: Logger): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    const send = (code: number, type: string, body: string): void => {
      res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed\n');
    const handle = async (): Promise<void> => {
      switch (url) {
        case '/metrics':
          return send(200, routes.metricsContentType, await routes.metrics());
        case '/':
        case '/status':
          // The page has no script: forbid any, and any outside resource.
          res.setHeader('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:");
          return send(200, 'text/html; charset=utf-8', await routes.statusHtml());
        case '/status.json':
          return send(200, 'application/json', JSON.stringify(routes.statusJson(), null, 2));
        case '/healthz':
          return send(200, 'text/plain', 'ok\n');
        default:
          return send(404, 'text/plain', 'not found: try /metrics, / or /status.json\n');
      }
    };
    handle().catch((err: unknown) => {
      log.error({ err, url }, 'http handler failed');
      if (!res.headersSent) send(500, 'text/plain', 'internal error\n');
    });
  });
  const bound = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
  return { server, port: bound };
}
