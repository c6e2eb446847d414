import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RandomPool } from '../../../../adapters/tls/crypto/random-pool.js';

describe('RandomPool', () => {
  it('hands out fresh bytes of the asked length, never the same twice, across refills', () => {
    const pool = new RandomPool(256);
    const seen = new Set<string>();
    for (let i = 0; i < 2_000; i++) {
      const length = 1 + (i % 32);
      const bytes = pool.take(length);
      assert.equal(bytes.length, length);
      if (length >= 8) {
        const hex = Buffer.from(bytes).toString('hex');
        assert.ok(!seen.has(hex), `draw ${i} repeated an earlier one`);
        assert.ok(bytes.some((b) => b !== 0), `draw ${i} is all zero (bytes reused after zeroing?)`);
        seen.add(hex);
      }
    }
  });

  it('draws requests larger than an eighth of the pool directly, without draining the pool', () => {
    const pool = new RandomPool(256);
    const first = pool.take(16);
    const big = pool.take(1024);
    assert.equal(big.length, 1024);
    assert.ok(big.some((b) => b !== 0));
    // the pooled draws continue where they were: 256 − 16 bytes left before a refill
    for (let i = 0; i < 15; i++) assert.notDeepEqual(pool.take(16), first);
  });
});
