// One timer object per connection, re-armed with refresh() while its duration stays the same
// (a timer per request or per byte would be garbage on the hot path); a new duration replaces it.
// The owner's callback decides whether a firing still matters (a disarmed timer may fire).
export class RearmableTimer {
  private timer: NodeJS.Timeout | undefined;
  private ms = 0;

  constructor(private readonly fire: () => void) {}

  /** Fires `ms` from now (replacing any earlier schedule). */
  start(ms: number): void {
    if (this.timer && this.ms === ms) {
      this.timer.refresh();
      return;
    }
    this.clear();
    this.ms = ms;
    this.timer = setTimeout(this.fire, ms);
  }

  /** Restarts the current duration from now; no-op when never started. */
  refresh(): void {
    this.timer?.refresh();
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
