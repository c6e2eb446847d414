// A NodeCryptoProvider whose random bytes come from a table by purpose (falling back to the
// CSPRNG), so traces such as RFC 8448 reproduce byte for byte.
import { randomBytes } from 'node:crypto';
import { NodeCryptoProvider } from '../../../../adapters/tls/crypto/node-provider.js';
import type { RandomPurpose } from '../../../../adapters/tls/engine/provider.js';

export function seededProvider(seeds: Partial<Record<RandomPurpose, Uint8Array | Uint8Array[]>>): NodeCryptoProvider {
  const queues = new Map<RandomPurpose, Uint8Array[]>();
  for (const [purpose, value] of Object.entries(seeds) as Array<[RandomPurpose, Uint8Array | Uint8Array[]]>) {
    queues.set(purpose, Array.isArray(value) ? [...value] : [value]);
  }
  return new NodeCryptoProvider({
    random: (length, purpose) => {
      const q = queues.get(purpose);
      const next = q?.shift();
      if (next) {
        if (next.length !== length) throw new Error(`seed for ${purpose} has ${next.length} bytes, engine asked for ${length}`);
        return next;
      }
      return new Uint8Array(randomBytes(length));
    },
  });
}
