#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/cli/main.js (built from src/cli by `npm ci` / `npm run build:ts`).
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`grove: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
