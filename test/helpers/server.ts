/** Runs the real server (bin/grove.js serve) in a child process on a random loopback port. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'grove.js');

export interface RunningServer {
  port: number;
  /** The HTTP port of /metrics and the status page. */
  metricsPort: number;
  address: string;
  proc: ChildProcess;
  /** Every JSON log line so far. */
  logs: Record<string, unknown>[];
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  waitForLog(pred: (l: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

export async function startServer(modelRoot: string, extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<RunningServer> {
  // Tests run servers side by side: any free metrics port, and no shared prediction log unless asked.
  const defaults = ['--metrics-port', '0', ...(extraArgs.includes('--prediction-log') ? [] : ['--prediction-log', 'none'])];
  const proc = spawn(process.execPath, [BIN, 'serve', '--host', '127.0.0.1', '--port', '0', '--models', modelRoot, ...defaults, ...extraArgs], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const waiters: { pred: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line) as Record<string, unknown>;
    } catch {
      rec = { msg: line };
    }
    logs.push(rec);
    for (const w of waiters.slice()) {
      if (w.pred(rec)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(rec);
      }
    }
  });
  const exited = once(proc, 'exit').then(([code]) => code as number | null);
  const waitForLog = (pred: (l: Record<string, unknown>) => boolean, timeoutMs = 60_000): Promise<Record<string, unknown>> => {
    const found = logs.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching log line within ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
      waiters.push({ pred, resolve: (l) => (clearTimeout(timer), resolve(l)) });
      void exited.then((code) => reject(new Error(`server exited with ${code} before the log line; stderr: ${stderr}`)));
    });
  };
  let serving: Record<string, unknown>;
  try {
    serving = await waitForLog((l) => l.msg === 'grove serving');
  } catch (err) {
    proc.kill('SIGKILL'); // never leave a half-started server behind
    throw err;
  }
  const port = serving.port as number;
  return {
    port,
    metricsPort: serving.metricsPort as number,
    address: `127.0.0.1:${port}`,
    proc,
    logs,
    exited,
    waitForLog,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill(signal);
      return exited;
    },
  };
}
