// The Node flags tlsedge runs with are written in three places that run before our code: bin/tlsedge's
// interpreter line and the `start` and `tlsedge` npm scripts. They must all carry cli/node-flags.ts,
// and this Node must accept them (a V8 flag can disappear in a later Node).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TLSEDGE_NODE_FLAGS } from '../../../cli/node-flags.js';

const repo = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');

describe('tlsedge Node flags', () => {
  it('are on bin/tlsedge’s interpreter line, split by env -S', () => {
    const first = readFileSync(join(repo, 'bin', 'tlsedge'), 'utf8').split('\n')[0]!;
    assert.match(first, /^#!\/usr\/bin\/env -S node /);
    for (const flag of TLSEDGE_NODE_FLAGS) assert.ok(first.split(' ').includes(flag), `${flag} missing from ${first}`);
  });

  it('are in the npm scripts that start tlsedge', () => {
    const scripts = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    for (const name of ['start', 'tlsedge']) {
      const words = scripts[name]!.split(' ');
      assert.equal(words[0], 'node');
      for (const flag of TLSEDGE_NODE_FLAGS) assert.ok(words.indexOf(flag) > 0 && words.indexOf(flag) < words.indexOf('bin/tlsedge'), `${flag} missing before bin/tlsedge in "${scripts[name]}"`);
    }
  });

  it('are accepted by this Node (an unknown V8 flag stops node before any script runs)', () => {
    const r = spawnSync(process.execPath, [...TLSEDGE_NODE_FLAGS, '-e', 'process.stdout.write(JSON.stringify(process.execArgv))'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as string[]).slice(0, TLSEDGE_NODE_FLAGS.length), [...TLSEDGE_NODE_FLAGS]);
    const bad = spawnSync(process.execPath, ['--initial-old-space-sise=64', '-e', '0'], { encoding: 'utf8' });
    assert.notEqual(bad.status, 0, 'a misspelt flag must fail, or this test proves nothing');
  });
});
