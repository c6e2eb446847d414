#!/usr/bin/env node
// Runs the test suites with node:test (TypeScript through tsx, no build step needed).
//   node scripts/run-tests.mjs [unit|integration|interop|<path-substring>...]
// Integration suites skip, naming the apt-get command that enables them, when a system tool is
// missing; with TLSEDGE_REQUIRE_INTEGRATION=1 (set by .ci/run) such a skip is a failure instead.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const suites = ['unit', 'integration', 'interop'];

function collect(dir) {
  const out = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...collect(path));
    else if (entry.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const args = process.argv.slice(2);
let files = suites.flatMap((s) => collect(join(root, 'test', s))).sort();
if (args.length > 0) {
  files = files.filter((f) => {
    const rel = relative(join(root, 'test'), f);
    return args.some((a) => (suites.includes(a) ? rel.startsWith(a + '/') : rel.includes(a)));
  });
}
if (files.length === 0) {
  console.error(`no test files match ${args.join(' ')}`);
  process.exit(1);
}

const concurrency = process.env.TLSEDGE_TEST_CONCURRENCY ?? '2';
const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, TLSEDGE_REPO_ROOT: root } },
);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
