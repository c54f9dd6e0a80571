#!/usr/bin/env node
// Runs every compiled test (dist/test/**/*.test.js) with Node's test runner.
// Usage: node scripts/run-tests.mjs [substring …]  — only files whose path contains one of them.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('../dist/test/', import.meta.url).pathname;
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js')) files.push(p);
  }
};
walk(root);
const filters = process.argv.slice(2);
const chosen = files.sort().filter((f) => !filters.length || filters.some((s) => f.includes(s)));
if (!chosen.length) {
  console.error('no test files found under dist/test (did the build run?)');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...chosen], { stdio: 'inherit' });
process.exit(r.status ?? 1);
