/** grove serve: flags (or GROVE_* environment variables) -> a running server until SIGTERM/SIGINT. */
import { parseArgs } from 'node:util';
import { pino, type Level } from 'pino';
import { GroveServer, type ServerConfig } from '../server/server.js';
import { UsageError, intFlag } from './usage.js';
import type { CliIO } from './main.js';

export const SERVE_USAGE = `grove serve [--host H] [--port P] [--models DIR] [--engine native|reference]
            [--max-message-bytes N] [--max-rows N] [--poll-interval SECONDS] [--drain-timeout SECONDS]
            [--log-level trace|debug|info|warn|error] [--prediction-log URL|none] [--no-log-inputs]
            [--log-retention-days N] [--shadow-queue-rows N] [--metrics-port P]

  Every flag can also come from the environment: GROVE_HOST (default 0.0.0.0), GROVE_PORT (50051),
  GROVE_MODELS (./models), GROVE_ENGINE (native), GROVE_MAX_MESSAGE_BYTES (67108864),
  GROVE_MAX_ROWS (100000), GROVE_POLL_INTERVAL (0 = off), GROVE_DRAIN_TIMEOUT (30), GROVE_LOG_LEVEL (info),
  GROVE_PREDICTION_LOG (sqlite:./var/predictions.sqlite; or postgres://user:pass@host:port/db, or none),
  GROVE_LOG_INPUTS (true), GROVE_LOG_RETENTION_DAYS (0 = keep), GROVE_SHADOW_QUEUE_ROWS (10000),
  GROVE_METRICS_PORT (9464; 0 = any free port; off = no HTTP port).
  Flags win over the environment.
`;

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

export function parseServeArgs(argv: string[], env: NodeJS.ProcessEnv): Omit<ServerConfig, 'logger'> & { logLevel: Level } {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        models: { type: 'string' },
        engine: { type: 'string' },
        'max-message-bytes': { type: 'string' },
        'max-rows': { type: 'string' },
        'poll-interval': { type: 'string' },
        'drain-timeout': { type: 'string' },
        'log-level': { type: 'string' },
        'prediction-log': { type: 'string' },
        'no-log-inputs': { type: 'boolean' },
        'log-retention-days': { type: 'string' },
        'shadow-queue-rows': { type: 'string' },
        'metrics-port': { type: 'string' },
      },
      strict: true,
    }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const pick = (flag: keyof typeof values, envName: string): string | undefined => {
    const v = values[flag];
    return (typeof v === 'string' ? v : undefined) ?? env[envName];
  };
  const engine = pick('engine', 'GROVE_ENGINE') ?? 'native';
  if (engine !== 'native' && engine !== 'reference') throw new UsageError(`--engine must be native or reference, got '${engine}'`);
  const logLevel = pick('log-level', 'GROVE_LOG_LEVEL') ?? 'info';
  if (!LEVELS.includes(logLevel)) throw new UsageError(`--log-level must be one of ${LEVELS.join(', ')}`);
  const port = intFlag('port', pick('port', 'GROVE_PORT')) ?? 50051;
  if (port > 65535) throw new UsageError(`--port must be at most 65535, got ${port}`);
  return {
    host: pick('host', 'GROVE_HOST') ?? '0.0.0.0',
    port,
    modelRoot: pick('models', 'GROVE_MODELS') ?? './models',
    engine,
    maxMessageBytes: intFlag('max-message-bytes', pick('max-message-bytes', 'GROVE_MAX_MESSAGE_BYTES'), 1024) ?? 64 * 1024 * 1024,
    maxRows: intFlag('max-rows', pick('max-rows', 'GROVE_MAX_ROWS'), 1) ?? 100_000,
    pollIntervalMs: (intFlag('poll-interval', pick('poll-interval', 'GROVE_POLL_INTERVAL')) ?? 0) * 1000,
    drainTimeoutMs: (intFlag('drain-timeout', pick('drain-timeout', 'GROVE_DRAIN_TIMEOUT')) ?? 30) * 1000,
    predictionLog: pick('prediction-log', 'GROVE_PREDICTION_LOG') ?? 'sqlite:./var/predictions.sqlite',
    logInputs: values['no-log-inputs'] ? false : env.GROVE_LOG_INPUTS !== 'false',
    logRetentionDays: intFlag('log-retention-days', pick('log-retention-days', 'GROVE_LOG_RETENTION_DAYS')) ?? 0,
    metricsPort: (() => {
      const v = pick('metrics-port', 'GROVE_METRICS_PORT');
      if (v === '-1' || v === 'off') return -1;
      const p = intFlag('metrics-port', v) ?? 9464;
      if (p > 65535) throw new UsageError(`--metrics-port must be at most 65535, got ${p}`);
      return p;
    })(),
    shadowQueueRows: intFlag('shadow-queue-rows', pick('shadow-queue-rows', 'GROVE_SHADOW_QUEUE_ROWS'), 1) ?? 10_000,
    logLevel: logLevel as Level,
  };
}

export async function runServe(argv: string[], io: CliIO): Promise<number> {
  const { logLevel, ...config } = parseServeArgs(argv, process.env);
  const logger = pino({ level: logLevel, base: { service: 'grove' } }, pino.destination({ fd: 1, sync: false }));
  const server = new GroveServer({ ...config, logger });
  const stopped = new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting now');
        process.exit(1);
      }
      stopping = true;
      logger.info({ signal }, 'shutting down');
      server.shutdown().then(resolve, (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        resolve();
      });
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
  try {
    await server.start();
  } catch (err) {
    logger.fatal({ err }, 'could not start');
    logger.flush();
    io.stderr.write(`grove serve: ${(err as Error).message}\n`);
    return 1;
  }
  await stopped;
  logger.flush();
  return 0;
}
