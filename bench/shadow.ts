/**
 * npm run bench:shadow — does shadow mode slow the live path?
 *
 * Starts `grove serve` with the house-price bundles (v1 live, v2 candidate) in a process of its
 * own, and a load generator in another. The load generator sends 1-row raw-record Predict calls
 * at a fixed offered rate (open loop: latency is measured from the scheduled send time, so a
 * stall is not hidden by sending less), alternating phases with shadow off and shadow on at
 * sample rate 1.0. Prints p50/p99 per phase and the p99 ratio (bar: on/off <= 1.10).
 *
 *   npm run bench:shadow [-- --rate 800 --seconds 8 --rounds 2 --quick]
 */
import { spawn, fork, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { connect } from '../src/client/client.js';

const ROOT = join(import.meta.dirname, '..');

interface PhaseResult {
  phase: string;
  sent: number;
  ok: number;
  failed: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

function args(): { rate: number; seconds: number; rounds: number } {
  const { values } = parseArgs({ options: { rate: { type: 'string' }, seconds: { type: 'string' }, rounds: { type: 'string' }, quick: { type: 'boolean' } } });
  const quick = values.quick ?? false;
  return {
    rate: Number(values.rate ?? (quick ? 400 : 800)),
    seconds: Number(values.seconds ?? (quick ? 3 : 8)),
    rounds: Number(values.rounds ?? (quick ? 1 : 2)),
  };
}

async function startServer(modelRoot: string, logUrl: string): Promise<{ proc: ChildProcess; address: string }> {
  const proc = spawn(process.execPath, [join(ROOT, 'bin', 'grove.js'), 'serve', '--host', '127.0.0.1', '--port', '0', '--metrics-port', '0', '--models', modelRoot, '--prediction-log', logUrl], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const rl = createInterface({ input: proc.stdout! });
    rl.on('line', (line) => {
      try {
        const rec = JSON.parse(line) as { msg?: string; port?: number };
        if (rec.msg === 'grove serving') resolve(rec.port!);
      } catch {
        // not JSON
      }
    });
    proc.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { proc, address: `127.0.0.1:${port}` };
}

async function main(): Promise<void> {
  const opts = args();
  const work = mkdtempSync(join(tmpdir(), 'grove-bench-shadow-'));
  const models = join(work, 'models');
  mkdirSync(models);
  cpSync(join(ROOT, 'models', 'house-price'), join(models, 'house-price'), { recursive: true });
  writeFileSync(
    join(models, 'house-price', 'routing.json'),
    JSON.stringify({ live: 1, candidate: 2, mode: 'off', weight: 0, sample_rate: 1, previous_live: null, audit: [] }),
  );
  // The prediction log is on by default, as in production; GROVE_BENCH_LOG=none measures without it.
  const logUrl = process.env.GROVE_BENCH_LOG ?? `sqlite:${join(work, 'predictions.sqlite')}`;
  const server = await startServer(models, logUrl);
  const clients = connect(server.address);
  const load = fork(join(ROOT, 'bench', 'shadow-load.ts'), [server.address], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  const cleanup = (): void => {
    load.kill();
    server.proc.kill('SIGTERM');
    clients.close();
  };
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  const setMode = (shadow: boolean): Promise<void> =>
    new Promise((resolve, reject) =>
      clients.models.SetRouting({ model: 'house-price', actor: 'bench', ...(shadow ? { shadow: { sample_rate: 1 } } : { off: true }) }, (e) => (e ? reject(e) : resolve())),
    );
  const runPhase = (phase: string): Promise<PhaseResult> =>
    new Promise((resolve) => {
      load.once('message', (m) => resolve({ phase, ...(m as Omit<PhaseResult, 'phase'>) }));
      load.send({ rate: opts.rate, seconds: opts.seconds });
    });

  try {
    await new Promise<void>((r) => load.once('message', () => r())); // ready
    await setMode(false);
    await runPhase('warm-up');
    const results: PhaseResult[] = [];
    for (let i = 0; i < opts.rounds; i++) {
      await setMode(false);
      results.push(await runPhase('shadow off'));
      await setMode(true);
      results.push(await runPhase('shadow on (sample rate 1.0)'));
    }
    await setMode(false);
    const status = await new Promise<{ routing?: { shadow?: { pairs: number; dropped: number } | null } | null }>((resolve, reject) =>
      clients.models.GetModel({ name: 'house-price' }, (e, r) => (e ? reject(e) : resolve(r!))),
    );

    const us = (s: number): string => `${(s * 1e6).toFixed(0)} µs`;
    console.log(`bench:shadow — house-price v1 live, v2 shadow; 1-row raw-record Predict at ${opts.rate} req/s offered (open loop), ${opts.seconds} s per phase; ${cpus().length} cores shared by server and load generator`);
    console.log('phase                          sent     ok  failed      p50      p90      p99      max');
    for (const r of results) {
      console.log(`${r.phase.padEnd(28)} ${String(r.sent).padStart(6)} ${String(r.ok).padStart(6)} ${String(r.failed).padStart(7)} ${us(r.p50).padStart(8)} ${us(r.p90).padStart(8)} ${us(r.p99).padStart(8)} ${us(r.max).padStart(8)}`);
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
    const off = median(results.filter((r) => r.phase.startsWith('shadow off')).map((r) => r.p99));
    const on = median(results.filter((r) => r.phase.startsWith('shadow on')).map((r) => r.p99));
    const ratio = on / off;
    console.log(`p99 live latency: shadow off ${us(off)}, shadow on ${us(on)} — ratio ${ratio.toFixed(3)} (bar <= 1.10: ${ratio <= 1.1 ? 'PASS' : 'MISS'})`);
    console.log(`shadow pairs compared: ${status.routing?.shadow?.pairs ?? 0}; shadow jobs dropped: ${status.routing?.shadow?.dropped ?? 0}`);
    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
    const file = join(ROOT, 'bench', 'results', `shadow-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify({ opts, results, p99Off: off, p99On: on, ratio, shadow: status.routing?.shadow ?? null }, null, 2));
    console.log(`results: ${file}`);
  } finally {
    cleanup();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
