// CancelSignal: the part of AbortSignal that tlsedge's cancellable waits use (`aborted` and 'abort'
// listeners), and Cancellation, a small source of one. Every offloaded handshake makes two (the
// connection's, the signer's request) and keeps them while it waits ~0.25 s for a TPM signature.
// Node's AbortController builds an EventTarget with its listener maps (~2.5 KB) and abort() builds
// a DOMException with a stack trace; alive across that wait, they are copied by young-generation
// collections whose pauses set the keep-alive tail under TPM load (docs/performance.md). An
// AbortSignal still fits wherever a CancelSignal is asked for.

export interface CancelSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** A CancelSignal and the means to fire it, in one object (the controller is its own signal). */
export class Cancellation implements CancelSignal {
  private cancelled = false;
  private listeners: Array<() => void> | undefined;

  get aborted(): boolean {
    return this.cancelled;
  }

  get signal(): CancelSignal {
    return this;
  }

  /** Like AbortSignal, a listener added after cancellation never runs, and each runs at most once. */
  addEventListener(_type: 'abort', listener: () => void, _options?: { once?: boolean }): void {
    if (!this.cancelled) (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const listeners = this.listeners;
    if (!listeners) return;
    const at = listeners.indexOf(listener);
    if (at >= 0) listeners.splice(at, 1);
  }

  /** Fires the listeners in the order they were added; later calls do nothing. */
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    const listeners = this.listeners;
    this.listeners = undefined;
    if (!listeners) return;
    let failure: { error: unknown } | undefined;
    for (const listener of listeners) {
      try {
        listener();
      } catch (error) {
        // One failing listener must not keep the others from cancelling their waits.
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
  }
}
