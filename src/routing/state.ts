/**
 * Routing state of one model: which version is live, which is the candidate and how the candidate
 * gets traffic. Stored as models/<name>/routing.json, written atomically (temp file + rename), so
 * a crash never leaves half a file and a restart serves what was last decided.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

export const ROUTING_FILE = 'routing.json';
export const MAX_AUDIT = 100;

export const AuditRecordSchema = z
  .object({
    at: z.string(),
    actor: z.string(),
    action: z.string(),
    from: z.string(),
    to: z.string(),
  })
  .strict();
export type AuditRecord = z.infer<typeof AuditRecordSchema>;

const version = z.number().int().positive();

export const RoutingSchema = z
  .object({
    live: version.nullable(),
    candidate: version.nullable(),
    mode: z.enum(['off', 'shadow', 'canary']),
    /** Canary share of traffic, percent. */
    weight: z.number().min(0).max(100),
    /** Share of live requests also scored by the candidate in shadow mode. */
    sample_rate: z.number().min(0).max(1),
    /** The live version before the last promote: what rollback returns to. */
    previous_live: version.nullable(),
    audit: z.array(AuditRecordSchema).max(MAX_AUDIT),
  })
  .strict();
export type Routing = z.infer<typeof RoutingSchema>;

export function defaultRouting(): Routing {
  return { live: null, candidate: null, mode: 'off', weight: 0, sample_rate: 1, previous_live: null, audit: [] };
}

export class RoutingFileError extends Error {
  override readonly name = 'RoutingFileError';
}

/** Parses routing.json text; errors name the file and the field. */
export function parseRouting(text: string, file: string): Routing {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new RoutingFileError(`${file}: not valid JSON: ${(e as Error).message}`);
  }
  const r = RoutingSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new RoutingFileError(`${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return r.data;
}

/** Reads a model's routing.json; null when the file does not exist. */
export async function readRouting(modelDir: string): Promise<Routing | null> {
  const file = join(modelDir, ROUTING_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new RoutingFileError(`${file}: cannot read: ${(e as Error).message}`);
  }
  return parseRouting(text, file);
}

/** Writes routing.json atomically: a temp file in the same directory, fsync'd by writeFile, then renamed. */
export async function writeRouting(modelDir: string, routing: Routing): Promise<void> {
  const parsed = RoutingSchema.parse(routing);
  const file = join(modelDir, ROUTING_FILE);
  const tmp = join(modelDir, `.${ROUTING_FILE}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, JSON.stringify(parsed, null, 2) + '\n', { flush: true });
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/** One-line description of a routing state, for audit records and logs. */
export function describeRouting(r: Routing): string {
  const base = `live=${r.live ?? 'none'}`;
  if (r.candidate === null) return `${base}, no candidate`;
  switch (r.mode) {
    case 'off':
      return `${base}, candidate=${r.candidate} (no traffic)`;
    case 'shadow':
      return `${base}, candidate=${r.candidate} in shadow (sample rate ${r.sample_rate})`;
    case 'canary':
      return `${base}, candidate=${r.candidate} canary ${r.weight}%`;
  }
}
