// CSPRNG bytes drawn from a pooled buffer: one randomFillSync per 4 KiB instead of one native call
// and one off-heap Buffer per draw. On the handshake path draws are small and many (randoms, ticket
// nonces and age_add, two tickets per handshake).
import { randomBytes, randomFillSync } from 'node:crypto';

export class RandomPool {
  private readonly pool: Buffer;
  private offset: number;

  constructor(private readonly size = 4096) {
    this.pool = Buffer.alloc(size);
    this.offset = size;
  }

  /** `length` fresh random bytes, in a new array; bytes handed out are zeroed in the pool. */
  take(length: number): Uint8Array {
    if (length > this.size / 8) return new Uint8Array(randomBytes(length));
    if (this.offset + length > this.size) {
      randomFillSync(this.pool);
      this.offset = 0;
    }
    const out = new Uint8Array(length);
    out.set(this.pool.subarray(this.offset, this.offset + length));
    // Never hand out the same bytes twice, even to the same caller.
    this.pool.fill(0, this.offset, this.offset + length);
    this.offset += length;
    return out;
  }
}
