/** grove models: what a running server has loaded — versions, states, labels, problems. */
import { parseArgs } from 'node:util';
import { connect } from '../client/client.js';
import type { ModelInfo__Output } from '../generated/grove/v1/ModelInfo.js';
import { UsageError } from './usage.js';
import type { CliIO } from './main.js';

export const MODELS_USAGE = `grove models [--server HOST:PORT] [--json]
`;

function render(models: ModelInfo__Output[]): string {
  const lines: string[] = [];
  for (const m of models) {
    const labels = Object.entries(m.labels).map(([k, v]) => `${k}=${v}`).join(' ');
    const r = m.routing;
    const routing = r && r.live
      ? `live ${r.live}${r.candidate ? `, candidate ${r.candidate} (${r.mode === 'canary' ? `canary ${r.weight}%` : r.mode === 'shadow' ? `shadow, sample rate ${r.sample_rate}` : 'no traffic'})` : ''}${r.previous_live ? `, rollback target ${r.previous_live}` : ''}`
      : `default ${m.default_version || 'none'}`;
    lines.push(`${m.name}  ${routing}${labels ? `  labels: ${labels}` : ''}`);
    if (r?.shadow && r.shadow.pairs > 0) {
      const s = r.shadow;
      lines.push(`  shadow v${s.live_version} vs v${s.candidate_version}: ${s.pairs} pairs, mean rel diff ${(s.mean_rel_diff * 100).toFixed(2)}%, agreement ${(s.agreement * 100).toFixed(1)}% within ${(s.rel_tolerance * 100).toFixed(0)}%`);
    }
    for (const v of m.versions) {
      const detail = v.state === 'ready' ? `${v.format}, ${v.objective}, ${v.num_features} features -> ${v.num_outputs} outputs` : v.error;
      lines.push(`  v${v.version}  ${v.state.padEnd(9)} ${v.labels.length ? `[${v.labels.join(',')}] ` : ''}${detail}`);
    }
    for (const p of m.problems) lines.push(`  ! ${p}`);
  }
  return lines.join('\n') + '\n';
}

export async function runModels(argv: string[], io: CliIO): Promise<number> {
  let v;
  try {
    v = parseArgs({ args: argv, options: { server: { type: 'string' }, json: { type: 'boolean' } }, strict: true }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const clients = connect(v.server ?? 'localhost:50051');
  try {
    const res = await new Promise<{ models: ModelInfo__Output[] }>((resolve, reject) =>
      clients.models.ListModels({}, { deadline: Date.now() + 10_000 }, (err, r) => (err ? reject(err) : resolve(r!))),
    );
    io.stdout.write(v.json ? JSON.stringify(res.models, null, 2) + '\n' : render(res.models));
    return 0;
  } finally {
    clients.close();
  }
}
