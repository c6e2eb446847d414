// What the key-rotation actor needs from outside: the lease (one rotator acts per fleet) and the
// event log to rebuild the block from when it takes over.
import type { AnyEvent } from '../../bus/envelope.js';

export type { Lease, LeaseState } from '../../adapters/session/lease.js';

export interface KeyEventSource {
  /** The block's stored events, oldest first, up to the current end of the log. */
  read(): AsyncIterable<AnyEvent>;
  close(): Promise<void>;
}
