/** grove route: change a model's routing on a running server (one audited SetRouting call). */
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { connect } from '../client/client.js';
import type { SetRoutingRequest } from '../generated/grove/v1/SetRoutingRequest.js';
import type { RoutingInfo__Output } from '../generated/grove/v1/RoutingInfo.js';
import { UsageError } from './usage.js';
import type { CliIO } from './main.js';

export const ROUTE_USAGE = `grove route [--server HOST:PORT] --model NAME [--actor WHO]
            (candidate VERSION | shadow [--sample-rate R] | canary PERCENT | promote | rollback | off)
`;

export function describeRoutingInfo(r: RoutingInfo__Output): string {
  const parts = [`live ${r.live || 'none'}`];
  if (r.candidate) parts.push(`candidate ${r.candidate}`);
  parts.push(r.mode === 'canary' ? `canary ${r.weight}%` : r.mode === 'shadow' ? `shadow (sample rate ${r.sample_rate})` : 'candidate traffic off');
  if (r.previous_live) parts.push(`rollback target ${r.previous_live}`);
  return parts.join(', ');
}

function parseAction(positionals: string[], sampleRate: string | undefined): Omit<SetRoutingRequest, 'model' | 'actor'> {
  const [action, arg, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
  const number = (what: string): number => {
    if (arg === undefined || !/^\d+(\.\d+)?$/.test(arg)) throw new UsageError(`${action} needs ${what}`);
    return Number(arg);
  };
  switch (action) {
    case 'candidate': {
      const v = number('a VERSION');
      if (!Number.isInteger(v) || v < 1) throw new UsageError('candidate VERSION must be a positive integer');
      return { candidate: v };
    }
    case 'shadow': {
      if (arg !== undefined) throw new UsageError('shadow takes --sample-rate R, not a positional argument');
      if (sampleRate === undefined) return { shadow: {} };
      const r = Number(sampleRate);
      if (!(r >= 0 && r <= 1)) throw new UsageError(`--sample-rate must be in [0, 1], got '${sampleRate}'`);
      return { shadow: { sample_rate: r } };
    }
    case 'canary':
      return { canary: number('a PERCENT (0-100)') };
    case 'promote':
    case 'rollback':
    case 'off':
      if (arg !== undefined) throw new UsageError(`${action} takes no argument`);
      return { [action]: true };
    default:
      throw new UsageError(`unknown routing action '${action ?? ''}' (candidate, shadow, canary, promote, rollback, off)`);
  }
}

export async function runRoute(argv: string[], io: CliIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { server: { type: 'string' }, model: { type: 'string' }, actor: { type: 'string' }, 'sample-rate': { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values;
  if (!v.model) throw new UsageError('--model NAME is required');
  const action = parseAction(parsed.positionals, v['sample-rate']);
  const clients = connect(v.server ?? 'localhost:50051');
  try {
    const res = await new Promise<RoutingInfo__Output>((resolve, reject) =>
      clients.models.SetRouting({ model: v.model, actor: v.actor ?? userInfo().username, ...action }, { deadline: Date.now() + 30_000 }, (err, r) =>
        err ? reject(err) : resolve(r!),
      ),
    );
    io.stdout.write(`${v.model}: ${describeRoutingInfo(res)}\n`);
    return 0;
  } finally {
    clients.close();
  }
}
