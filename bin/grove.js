#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/cli/main.js (built from src/cli by `npm ci` / `npm run build:ts`).
import { main } from '../dist/cli/main.js';

// `grove ... | head` closes our stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`grove: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
