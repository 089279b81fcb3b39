/**
 * The source: a stateless scan of the repository root that says what is on disk. It declares; the
 * registry (the manager) reconciles. Nothing here loads a model.
 *
 *   <root>/<name>/config.json         optional version policy and labels
 *   <root>/<name>/<version>/          version = positive integer directory name
 *
 * Hidden entries (starting with '.') are skipped silently (editors, atomic-copy temp dirs); other
 * directories that are not valid names are reported in `ignored` so the registry can log them.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { GroveError } from '../errors.js';
import { CONFIG_FILE, parseModelConfig, type ModelConfig } from './policy.js';

/** Model directory names: what can safely appear in logs, URLs and metric labels. */
export const MODEL_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** Version directory names: positive integers without leading zeros. */
export const VERSION_DIR_RE = /^[1-9][0-9]{0,14}$/;

export interface ScannedModel {
  name: string;
  dir: string;
  /** version -> bundle directory. */
  versions: Map<number, string>;
  /** config.json as parsed; null when there is no config.json or it is invalid (see configError). */
  config: ModelConfig | null;
  /** Why config.json could not be used, or null. */
  configError: string | null;
  /** Directories that were skipped, with the reason ("directory 'v2' ignored: ..."). */
  ignored: string[];
}

export interface ScanResult {
  root: string;
  models: Map<string, ScannedModel>;
  /** Entries under the root that were skipped, with the reason. */
  ignored: string[];
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory(); // follows symlinks: a symlinked bundle is fine
  } catch {
    return false; // vanished while scanning, or a dangling link
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw err;
  }
}

/** Reads config.json; never throws (an unreadable or invalid file is reported in configError). */
async function readConfig(dir: string): Promise<{ config: ModelConfig | null; configError: string | null }> {
  let text: string;
  try {
    text = await readFile(join(dir, CONFIG_FILE), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { config: null, configError: null };
    return { config: null, configError: `${CONFIG_FILE}: cannot read: ${(err as Error).message}` };
  }
  try {
    return { config: parseModelConfig(text), configError: null };
  } catch (err) {
    return { config: null, configError: (err as Error).message };
  }
}

/** Scans one model directory; null when it does not exist. */
export async function scanModel(root: string, name: string): Promise<ScannedModel | null> {
  const dir = join(root, name);
  if (!MODEL_NAME_RE.test(name) || !(await isDirectory(dir))) return null;
  const versions = new Map<number, string>();
  const ignored: string[] = [];
  for (const entry of await listDir(dir)) {
    if (entry.startsWith('.')) continue;
    const path = join(dir, entry);
    if (!(await isDirectory(path))) continue; // config.json, routing.json, notes
    if (VERSION_DIR_RE.test(entry) && Number.isSafeInteger(Number(entry))) {
      versions.set(Number(entry), path);
    } else {
      ignored.push(`directory '${entry}' ignored: version directories are positive integers without leading zeros`);
    }
  }
  const { config, configError } = await readConfig(dir);
  return { name, dir, versions, config, configError, ignored };
}

/** Scans the whole root. Throws GroveError FAILED_PRECONDITION when the root is not a directory. */
export async function scanRoot(root: string): Promise<ScanResult> {
  if (!(await isDirectory(root))) {
    throw new GroveError('FAILED_PRECONDITION', `model repository '${root}' is not a directory`);
  }
  const models = new Map<string, ScannedModel>();
  const ignored: string[] = [];
  for (const entry of await listDir(root)) {
    if (entry.startsWith('.')) continue;
    if (!(await isDirectory(join(root, entry)))) continue;
    if (!MODEL_NAME_RE.test(entry)) {
      ignored.push(`directory '${entry}' ignored: model names are letters, digits, '.', '_' and '-' (starting with a letter or digit)`);
      continue;
    }
    const model = await scanModel(root, entry);
    if (model) models.set(entry, model);
  }
  return { root, models, ignored };
}
