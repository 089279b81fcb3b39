/**
 * grove shadow-report: how a candidate version compares with live on real traffic, from the
 * prediction log — live and shadow rows of the same request and row paired, per (live version,
 * candidate version): a text summary, optionally JSON and a self-contained HTML page with plots.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pairShadowRecords } from '../report/pairs.js';
import { formatShadowReport, summarize, windowText } from '../report/summary.js';
import { shadowReportHtml } from '../report/html.js';
import { UsageError } from './usage.js';
import { numberFlag, timeFlag } from './diff.js';
import type { CliIO } from './main.js';

/** What `grove serve` writes to when neither --prediction-log nor GROVE_PREDICTION_LOG is given. */
export const DEFAULT_PREDICTION_LOG = 'sqlite:./var/predictions.sqlite';

export const SHADOW_REPORT_USAGE = `grove shadow-report --model NAME [--log sqlite:PATH|postgres://...] [--since T] [--until T]
                    [--html FILE] [--json] [--rel-tol X] [--abs-tol Y]

  Pairs the log's live and shadow rows (same request id and row) and summarizes candidate vs live
  per (live version, candidate version). --log defaults to GROVE_PREDICTION_LOG, else
  ${DEFAULT_PREDICTION_LOG} (where grove serve writes by default). T: an ISO timestamp or a
  duration back from now (30m, 1h, 2d). Agreement: |candidate - live| <= abs_tol + rel_tol*|live|
  (defaults 0.1, 0). --html writes a self-contained page with plots. Exit 1 when there are no pairs.
`;

export async function runShadowReport(argv: string[], io: CliIO): Promise<number> {
  let v;
  try {
    v = parseArgs({
      args: argv,
      options: {
        model: { type: 'string' },
        log: { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        html: { type: 'string' },
        json: { type: 'boolean' },
        'rel-tol': { type: 'string' },
        'abs-tol': { type: 'string' },
      },
      strict: true,
    }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (!v.model) throw new UsageError('--model NAME is required');
  const now = Date.now();
  const since = timeFlag('since', v.since, now);
  const until = timeFlag('until', v.until, now);
  if (since && until && until.getTime() <= since.getTime()) throw new UsageError('--until must be later than --since');
  const relTol = numberFlag('rel-tol', v['rel-tol']) ?? 0.1;
  const absTol = numberFlag('abs-tol', v['abs-tol']) ?? 0;
  const url = v.log ?? (process.env.GROVE_PREDICTION_LOG || DEFAULT_PREDICTION_LOG);

  const paired = await pairShadowRecords(url, v.model, { since, until });
  const report = summarize(paired, { relTol, absTol });
  const pairs = report.groups.reduce((a, g) => a + g.pairs, 0);
  if (paired.liveRows === 0 && paired.shadowRows === 0) {
    throw new Error(`no records of model '${v.model}' in ${paired.url} (${windowText(report).split(';')[0]})`);
  }
  if (v.json) io.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else io.stdout.write(formatShadowReport(report));
  if (pairs === 0) {
    const refused = report.groups.reduce((a, g) => a + g.shadowErrors + g.liveErrors + g.bothRefused, 0);
    throw new Error(
      `no live/shadow pairs for model '${v.model}' in ${paired.url}: ${paired.liveRows} live rows, ${paired.shadowRows} shadow rows` +
        (refused ? `, ${refused} matched rows refused by one side or both` : '') +
        ' (is shadow mode on? grove route --model NAME shadow)',
    );
  }
  if (v.html) {
    const file = resolve(v.html);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, shadowReportHtml(report, paired.groups));
    io.stderr.write(`grove shadow-report: wrote ${file}\n`);
  }
  return 0;
}
