/** JSON.parse's "at position N" turned into a line and column a person can find in the file. */
export function jsonErrorMessage(text: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const m = /position (\d+)/.exec(message);
  if (!m) return message;
  const pos = Number(m[1]);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return `${message} (line ${line}, column ${column})`;
}
