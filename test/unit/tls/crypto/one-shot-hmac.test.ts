import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, hkdfSync } from 'node:crypto';
import fc from 'fast-check';
import { oneShotHash, oneShotHmac } from '../../../../adapters/tls/crypto/one-shot-hmac.js';
import { NodeCryptoProvider } from '../../../../adapters/tls/crypto/node-provider.js';
import { hkdfExpand, hkdfExpandLabel, hkdfExtract, hkdfLabel } from '../../../../adapters/tls/engine/hkdf.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const algs = ['sha256', 'sha384'] as const;

describe('oneShotHmac', () => {
  it('equals createHmac for any key and message, keys longer than a hash block included', () => {
    fc.assert(
      fc.property(fc.constantFrom(...algs), fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 5000 }), (alg, key, data) => {
        assert.equal(hex(oneShotHmac(alg, key, data)), createHmac(alg, key).update(data).digest('hex'));
      }),
      { numRuns: 2000 },
    );
  });

  it('stays right when its scratch buffers are reused: every message length twice, digest-sized ones included', () => {
    // the inner and outer inputs have the same size when the message is as long as a digest
    for (const alg of algs) {
      for (let round = 0; round < 2; round++) {
        for (let n = 0; n <= 200; n++) {
          const key = new Uint8Array(32).fill(n + round);
          const data = new Uint8Array(n).map((_, i) => (i * 7 + round) & 0xff);
          assert.equal(hex(oneShotHmac(alg, key, data)), createHmac(alg, key).update(data).digest('hex'), `${alg}, ${n} bytes, round ${round}`);
        }
      }
    }
  });

  it('returns a plain Uint8Array of the digest size, and oneShotHash equals createHash', () => {
    for (const alg of algs) {
      const mac = oneShotHmac(alg, new Uint8Array(32).fill(7), new Uint8Array([1, 2, 3]));
      assert.equal(mac.constructor, Uint8Array);
      assert.equal(mac.length, alg === 'sha256' ? 32 : 48);
      const data = new Uint8Array(1000).map((_, i) => i);
      assert.equal(hex(oneShotHash(alg, data)), createHash(alg).update(data).digest('hex'));
    }
  });
});

describe('HKDF on the provider', () => {
  const p = new NodeCryptoProvider();
  it('expands like node:crypto hkdfSync, one block or many', () => {
    fc.assert(
      fc.property(fc.constantFrom(...algs), fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 100 }), fc.integer({ min: 1, max: 200 }), (alg, ikm, salt, info, length) => {
        const prk = hkdfExtract(p, alg, salt, ikm);
        const expected = Buffer.from(hkdfSync(alg, ikm, salt, info, length)).toString('hex');
        assert.equal(hex(hkdfExpand(p, alg, prk, info, length)), expected);
      }),
      { numRuns: 500 },
    );
  });

  it('HKDF-Expand-Label gives the same bytes for one-block and longer outputs', () => {
    for (const alg of algs) {
      const secret = new Uint8Array(alg === 'sha256' ? 32 : 48).fill(0x42);
      const context = new Uint8Array([9, 8, 7]);
      for (const length of [12, 16, 32, 48, 100]) {
        const general = hkdfExpand(p, alg, secret, hkdfLabel('key', context, length), length);
        assert.equal(hex(hkdfExpandLabel(p, alg, secret, 'key', context, length)), hex(general), `${alg} length ${length}`);
      }
    }
  });
});
