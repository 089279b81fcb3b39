/** Time arguments of the report commands: ISO 8601 timestamps or durations back from now (30m, 1h, 2d). */

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * '2025-01-31', '2025-01-31T12:00:00Z' (an ISO timestamp; without a zone it is local time, as
 * JavaScript reads it), or a duration back from `now`: a number and a unit of ms, s, m, h, d, w
 * ('90s', '30m', '1h', '1.5h', '2d'). Returns null when the text is neither.
 */
export function parseTimeArg(text: string, now: number = Date.now()): Date | null {
  const t = text.trim();
  const rel = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/.exec(t);
  if (rel) return new Date(now - Number(rel[1]) * UNITS[rel[2]]);
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(t)) {
    const ms = Date.parse(t);
    if (Number.isFinite(ms)) return new Date(ms);
  }
  return null;
}

export const TIME_ARG_HELP = "an ISO timestamp (2025-01-31T12:00:00Z) or a duration back from now (30m, 1h, 2d)";
