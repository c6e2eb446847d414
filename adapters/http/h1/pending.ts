// Bytes received but not yet consumed (a partial head, or pipelined requests behind the current
// one). The common case — a head arriving in one chunk — keeps a view of that chunk and copies
// nothing; only bytes that must be joined are copied, into storage that grows geometrically.

export class PendingBytes {
  private data: Buffer = EMPTY;
  /** Storage this instance owns and appends into; undefined while `data` is a caller's chunk. */
  private owned: Buffer | undefined;
  private ownedEnd = 0;

  get length(): number {
    return this.data.length;
  }

  /** The pending bytes, contiguous. Valid until the next append or consume. */
  view(): Buffer {
    return this.data;
  }

  append(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.data.length === 0) {
      this.data = chunk;
      this.owned = undefined;
      return;
    }
    const needed = this.data.length + chunk.length;
    if (this.owned && this.owned.length - this.ownedEnd >= chunk.length && this.data.byteOffset + this.data.length === this.owned.byteOffset + this.ownedEnd) {
      chunk.copy(this.owned, this.ownedEnd);
      this.ownedEnd += chunk.length;
      this.data = this.owned.subarray(this.ownedEnd - needed, this.ownedEnd);
      return;
    }
    // Fresh storage: bytes already handed out as views (e.g. a parsed head) are never overwritten
    const storage = Buffer.allocUnsafeSlow(Math.max(4096, needed * 2));
    this.data.copy(storage, 0);
    chunk.copy(storage, this.data.length);
    this.owned = storage;
    this.ownedEnd = needed;
    this.data = storage.subarray(0, needed);
  }

  /** Drops `n` bytes from the front. */
  consume(n: number): void {
    if (n >= this.data.length) {
      this.clear();
      return;
    }
    this.data = this.data.subarray(n);
  }

  /** Removes and returns everything pending. */
  take(): Buffer {
    const out = this.data;
    this.clear();
    return out;
  }

  clear(): void {
    this.data = EMPTY;
    this.owned = undefined;
    this.ownedEnd = 0;
  }
}

const EMPTY = Buffer.alloc(0);
