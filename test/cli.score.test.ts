/**
 * `grove score` as a user runs it: the real bin/grove.js in a child process, on library fixtures.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, compare, readExpected } from './helpers/fixtures.js';

const BIN = join(import.meta.dirname, '..', 'bin', 'grove.js');

function grove(args: string[], input?: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function parseOutput(text: string): { header: string[]; values: number[] } {
  const lines = text.trim().split('\n');
  return { header: lines[0].split(','), values: lines.slice(1).flatMap((l) => l.split(',').map(Number)) };
}

const xgb = (c: string, f = 'model.json'): string => join(FIXTURES, 'xgboost', c, f);
const lgb = (c: string, f = 'model.txt'): string => join(FIXTURES, 'lightgbm', c, f);

describe('grove --help', () => {
  it('shows the usage of every command', () => {
    const r = grove(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['serve', 'predict', 'models', 'score', 'route', 'shadow-report', 'diff', 'validate', 'train']) {
      expect(r.stdout, cmd).toMatch(new RegExp(`^grove ${cmd} `, 'm'));
    }
  });
});

describe('grove score', () => {
  it('reproduces XGBoost string-categorical predictions from a CSV file (names looked up in the model)', () => {
    const r = grove(['score', '--model', xgb('categorical-strings-partition-xgb3'), '--input', xgb('categorical-strings-partition-xgb3', 'input.csv')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = parseOutput(r.stdout);
    expect(out.header).toEqual(['prediction']);
    const want = readExpected(xgb('categorical-strings-partition-xgb3', 'expected.csv'));
    expect(compare(out.values, want.values).maxRel).toBeLessThanOrEqual(1e-6);
  });

  it('prints float32 results with the fewest digits that read back to the same float32', () => {
    const r = grove(['score', '--model', xgb('binary-logistic-missing-xgb3', 'model.ubj'), '--input', xgb('binary-logistic-missing-xgb3', 'input.csv'), '--output-margin']);
    expect(r.code).toBe(0);
    const out = parseOutput(r.stdout);
    const want = readExpected(xgb('binary-logistic-missing-xgb3', 'expected_margin.csv'));
    // XGBoost's margins are reproduced exactly; the printed text reads back (as float32) to them.
    expect(compare(out.values.map(Math.fround), want.values).maxAbs).toBe(0);
    const significant = (t: string): number => t.replace(/^-/, '').replace(/e.*$/, '').replace('.', '').replace(/^0+/, '').length;
    expect(Math.max(...r.stdout.trim().split('\n').slice(1).map(significant))).toBeLessThanOrEqual(9);
  });

  it('reads stdin, writes K columns for a multiclass model, and --output-margin gives raw scores', () => {
    const input = readFileSync(lgb('multiclass-softmax', 'input.csv'), 'utf8');
    const r = grove(['score', '--model', lgb('multiclass-softmax'), '--output-margin'], input);
    expect(r.code).toBe(0);
    const out = parseOutput(r.stdout);
    expect(out.header).toEqual(['prediction_0', 'prediction_1', 'prediction_2', 'prediction_3']);
    const want = readExpected(lgb('multiclass-softmax', 'expected_raw.csv'));
    expect(compare(out.values, want.values).maxAbs).toBe(0);
  });

  it('--iterations N scores the first N rounds, as LightGBM did for num-iteration-predict', () => {
    const dir = mkdtempSync(join(tmpdir(), 'grove-score-'));
    const outFile = join(dir, 'out.csv');
    const r = grove(['score', '--model', lgb('num-iteration-predict'), '--input', lgb('num-iteration-predict', 'input.csv'), '--iterations', '57', '--output', outFile, '--engine', 'reference']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const out = parseOutput(readFileSync(outFile, 'utf8'));
    const want = readExpected(lgb('num-iteration-predict', 'expected.csv'));
    // exact but for the last bit of exp() in the sigmoid (V8's Math.exp vs glibc's)
    expect(compare(out.values, want.values).maxRel).toBeLessThanOrEqual(1e-15);
  });

  it('matches by position when the model has no feature names, and ignores extra columns by name otherwise', () => {
    const text = readFileSync(xgb('count-poisson-xgb3', 'input.csv'), 'utf8');
    const renamed = text.replace(/^[^\n]*/, (h) => h.split(',').map((_, i) => `col${i}`).join(','));
    const r = grove(['score', '--model', xgb('count-poisson-xgb3')], renamed);
    expect(r.code).toBe(0);
    const want = readExpected(xgb('count-poisson-xgb3', 'expected.csv'));
    expect(compare(parseOutput(r.stdout).values, want.values).maxRel).toBeLessThanOrEqual(1e-6);

    const lines = readFileSync(lgb('single-tree', 'input.csv'), 'utf8').trim().split('\n');
    const withTarget = lines.map((l, i) => (i === 0 ? `target,${l}` : `123,${l}`)).join('\n');
    const r2 = grove(['score', '--model', lgb('single-tree')], withTarget);
    expect(r2.code).toBe(0);
    expect(compare(parseOutput(r2.stdout).values, readExpected(lgb('single-tree', 'expected.csv')).values).maxAbs).toBe(0);
  });

  it('fails with a one-line reason naming a missing column', () => {
    const lines = readFileSync(lgb('single-tree', 'input.csv'), 'utf8').trim().split('\n');
    const cut = lines.map((l) => l.split(',').slice(1).join(',')).join('\n');
    const r = grove(['score', '--model', lgb('single-tree')], cut);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('missing required column');
  });

  it('fails with a one-line reason on a malformed model, a bad cell, and bad flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'grove-score-'));
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, readFileSync(xgb('dart-xgb3'), 'utf8').slice(0, 5000));
    const r1 = grove(['score', '--model', broken], 'a\n1\n');
    expect(r1.code).toBe(1);
    expect(r1.stderr).toContain('broken.json');
    expect(r1.stderr.trim().split('\n')).toHaveLength(1);

    const lines = readFileSync(lgb('single-tree', 'input.csv'), 'utf8').trim().split('\n');
    const bad = [lines[0], lines[1].replace(/^[^,]*/, 'abc')].join('\n');
    const r2 = grove(['score', '--model', lgb('single-tree')], bad);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/row 1, column .*'abc' is not a number/);

    const r3 = grove(['score', '--model', lgb('single-tree'), '--engine', 'gpu']);
    expect(r3.code).toBe(2);
    const r4 = grove(['score']);
    expect(r4.code).toBe(2);
    expect(r4.stderr).toContain('--model');
    const r5 = grove(['score', '--model', join(dir, 'nope.txt')], 'a\n');
    expect(r5.code).toBe(1);
    expect(r5.stderr).toContain('nope.txt');
  });
});
