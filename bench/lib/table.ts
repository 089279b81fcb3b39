/** Plain-text tables and number formatting for the benchmark report. */

/** 1234567 -> "1.23M", 45678 -> "45.7k", 789 -> "789". */
export function formatRate(v: number): string {
  if (!Number.isFinite(v)) return '-';
  if (v >= 1e9) return (v / 1e9).toPrecision(3) + 'G';
  if (v >= 1e6) return (v / 1e6).toPrecision(3) + 'M';
  if (v >= 1e3) return (v / 1e3).toPrecision(3) + 'k';
  return v.toPrecision(3);
}

/** Microseconds with sensible precision. */
export function formatUs(v: number): string {
  if (!Number.isFinite(v)) return '-';
  if (v >= 1000) return v.toFixed(0);
  if (v >= 100) return v.toFixed(1);
  return v.toFixed(2);
}

export function formatRatio(v: number): string {
  return Number.isFinite(v) ? v.toFixed(2) + 'x' : '-';
}

export function formatError(v: number): string {
  return v === 0 ? '0' : v.toExponential(2);
}

/** Renders rows as an aligned table: first column left-aligned, the others right-aligned. */
export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => (r[j] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.map(line)].join('\n');
}
