// A bounded FIFO (ring buffer) for events waiting for the durable store: O(1) push, shift and
// indexed access; it refuses items beyond its capacity so memory stays bounded while NATS is down.

export class Outbox<T> {
  private items: Array<T | undefined>;
  private head = 0;
  private count = 0;

  /** @param capacity most items held at once; `push` refuses beyond it */
  constructor(readonly capacity: number, initialSlots = 1024) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('outbox capacity must be a positive integer');
    this.items = new Array<T | undefined>(Math.min(capacity, Math.max(16, initialSlots)));
  }

  get size(): number {
    return this.count;
  }

  /** Adds at the tail; false (nothing stored) when full. */
  push(item: T): boolean {
    if (this.count >= this.capacity) return false;
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) % this.items.length] = item;
    this.count++;
    return true;
  }

  /** Item `index` places from the head (0 = oldest), or undefined past the tail. */
  at(index: number): T | undefined {
    if (index < 0 || index >= this.count) return undefined;
    return this.items[(this.head + index) % this.items.length];
  }

  peek(): T | undefined {
    return this.count === 0 ? undefined : this.items[this.head];
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined; // let it be collected
    this.head = (this.head + 1) % this.items.length;
    this.count--;
    return item;
  }

  /** Doubles the slots (up to capacity), unrolling the ring so the head is at 0. */
  private grow(): void {
    const next = new Array<T | undefined>(Math.min(this.capacity, this.items.length * 2));
    for (let i = 0; i < this.count; i++) next[i] = this.items[(this.head + i) % this.items.length];
    this.items = next;
    this.head = 0;
  }
}
