import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TOP_LEVEL_KEYS } from '../../../adapters/config/load.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const doc = readFileSync(join(root, 'docs', 'config.md'), 'utf8');

/** Every key list a section checker accepts: the third argument of each `c.object(path, value, [keys])`. */
function acceptedKeys(): Array<{ file: string; key: string }> {
  const dir = join(root, 'adapters', 'config', 'sections');
  const out: Array<{ file: string; key: string }> = [];
  for (const file of readdirSync(dir)) {
    const source = readFileSync(join(dir, file), 'utf8');
    for (const m of source.matchAll(/c\.object\(\[[^\]]*\][^,]*,[^,[]*,\s*\[([^\]]*)\]/g)) {
      for (const k of m[1]!.matchAll(/'([a-z_0-9]+)'/g)) out.push({ file, key: k[1]! });
    }
  }
  for (const key of TOP_LEVEL_KEYS) out.push({ file: 'load.ts', key });
  return out;
}

describe('the config reference (docs/config.md)', () => {
  it('documents every key the loader accepts', () => {
    const keys = acceptedKeys();
    assert.ok(keys.length > 60, `found ${keys.length} keys: the source scan is broken`);
    const documented = (k: string) => new RegExp(`(\`${k}\`|\\b${k}:|\\.${k}\\b|\`${k}\\.)`).test(doc);
    const missing = keys.filter((k) => !documented(k.key)).map((k) => `${k.file}: ${k.key}`);
    assert.deepEqual(missing, []);
  });
});
