// HandshakePacer: runs the offload engine's handshake steps a slice at a time, so that traffic on
// established connections is never stuck behind a burst of handshakes.
//
// A handshake step (ClientHello → key share and server flight; signature → CertificateVerify and
// Finished; client Finished → traffic keys and tickets) costs 0.2–0.4 ms of event-loop CPU. Node runs
// every I/O callback that one poll returned back to back, so 32 TPM handshakes whose signatures land
// together would otherwise hold the loop for tens of milliseconds while keep-alive requests on other
// names wait (issue 6). Like nginx and HAProxy, which bound the accepts and handshakes done per loop
// iteration, tlsedge queues handshake steps and runs them from `setImmediate` for at most `budgetMs`
// per loop turn; the poll phase between two slices serves everyone else's reads and writes.
// Steps of one connection stay in order (each connection queues its own inputs, see socket.ts).

/**
 * Work done per loop turn before yielding to I/O (ms). One step always runs, however long, so at
 * 0.25 ms a turn runs about one full-handshake step: a request never waits behind more than that,
 * however many steps are ready. Against 1 ms it made no measurable difference to the TPM bench's
 * tail or to handshake throughput (docs/performance.md): the scavenges are the longer holds now.
 */
export const DEFAULT_HANDSHAKE_SLICE_MS = 0.25;

export interface HandshakePacerOptions {
  /** Handshake work per loop turn, in ms of wall time. 0 runs one step per turn. */
  readonly budgetMs?: number;
  /** Monotonic clock in ms (tests inject one). */
  readonly now?: () => number;
}

export class HandshakePacer {
  private readonly budgetMs: number;
  private readonly now: () => number;
  private queue: Array<() => void> = [];
  /** Index of the next task in `queue` (a moving head: no O(n) shift per task). */
  private head = 0;
  private armed = false;

  constructor(options: HandshakePacerOptions = {}) {
    this.budgetMs = options.budgetMs ?? DEFAULT_HANDSHAKE_SLICE_MS;
    this.now = options.now ?? (() => performance.now());
  }

  /** Steps waiting for a turn. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  /** Runs `task` in a later slice, after the tasks already waiting. */
  schedule(task: () => void): void {
    this.queue.push(task);
    if (!this.armed) {
      this.armed = true;
      setImmediate(this.runSlice);
    }
  }

  private readonly runSlice = (): void => {
    const started = this.now();
    do {
      const task = this.queue[this.head]!;
      this.queue[this.head++] = noop; // let the finished connection be collected
      try {
        task();
      } catch (err) {
        // A task owns its connection's failures; one that escapes must not stop the others.
        process.emitWarning(`handshake step failed: ${(err as Error)?.message ?? String(err)}`, 'TlsedgeWarning');
      }
    } while (this.head < this.queue.length && this.now() - started < this.budgetMs);
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
      this.armed = false;
    } else {
      if (this.head > 1024) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      setImmediate(this.runSlice);
    }
  };
}

function noop(): void {}

/** The process-wide pacer the offload sockets share unless given their own. */
export const sharedHandshakePacer = new HandshakePacer();
