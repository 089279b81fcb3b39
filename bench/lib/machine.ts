/** Where a benchmark ran: CPU, cores, Node, git commit, load. */
import { spawnSync } from 'node:child_process';
import os from 'node:os';

export interface MachineInfo {
  cpuModel: string;
  /** Logical CPUs the OS reports. */
  cores: number;
  /** os.availableParallelism(): what Node may use (cgroup/affinity aware). */
  availableParallelism: number;
  totalMemGiB: number;
  platform: string;
  release: string;
  arch: string;
  node: string;
  v8: string;
  gitCommit: string | null;
  /** Uncommitted changes in the checkout when the bench ran (null: not a git checkout). */
  gitDirty: boolean | null;
  /** 1-minute load average when the bench started (a shared machine is noisy). */
  loadAvg1: number;
}

function git(args: string[], cwd: string): string | null {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return r.status === 0 ? r.stdout.trim() : null;
}

export function machineInfo(repoDir: string): MachineInfo {
  const cpus = os.cpus();
  const commit = git(['rev-parse', 'HEAD'], repoDir);
  const status = git(['status', '--porcelain', '--untracked-files=no'], repoDir);
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    availableParallelism: os.availableParallelism(),
    totalMemGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: os.platform(),
    release: os.release(),
    arch: os.arch(),
    node: process.version,
    v8: process.versions.v8,
    gitCommit: commit,
    gitDirty: status === null ? null : status.length > 0,
    loadAvg1: Math.round(os.loadavg()[0] * 100) / 100,
  };
}
