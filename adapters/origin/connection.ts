// One pooled HTTP/1.1 connection to an origin. Its socket listeners are installed once; the
// request that holds the lease receives the socket's events through `handler`, so leasing and
// returning a connection adds and removes no listeners.
import type { Socket } from 'node:net';
import type { OriginTarget } from './target.js';

/** What the holder of a lease receives from the origin socket. */
export interface OriginHandler {
  onOriginData(chunk: Buffer): void;
  /** The origin sent FIN (ends a close-delimited body). */
  onOriginEnd(): void;
  /** The socket closed; `error` when it failed (reset, TLS alert). */
  onOriginClose(error: Error | undefined): void;
  /** The socket's write buffer drained (resume what was paused). */
  onOriginDrain(): void;
}

export type OriginConnectionState = 'idle' | 'busy' | 'closed';

/** Why a pool closed a connection (the lead may turn these into events). */
export type OriginCloseReason = 'idle_timeout' | 'origin_closed' | 'unexpected_data' | 'max_idle' | 'not_reusable' | 'error' | 'pool_closed';

export class OriginConnection {
  handler: OriginHandler | undefined = undefined;
  state: OriginConnectionState = 'busy';
  /** Leases served (1 for a fresh connection's first request). */
  requests = 0;
  /** Set by the socket's 'error' event, reported with 'close'. */
  error: Error | undefined = undefined;
  closeReason: OriginCloseReason | undefined = undefined;
  readonly createdAt = Date.now();

  constructor(
    readonly id: string,
    readonly socket: Socket,
    readonly target: OriginTarget,
    /** ALPN protocol negotiated ('' for none). */
    readonly alpn: string,
    /** The TLS session was resumed when this connection was opened. */
    readonly resumed: boolean,
  ) {}

  /** Remote address as connected (for events). */
  get address(): string {
    return this.target.identity.address;
  }

  get port(): number {
    return this.target.identity.port;
  }
}
