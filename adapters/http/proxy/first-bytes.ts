// Waits for an established connection's first bytes before any HTTP/1.1 state exists. Many
// connections never send a request: browsers' speculative preconnects, health checks that only
// complete a handshake, load balancers probing TLS. Building the request loop for each (parser
// buffers, body framers, five listeners, hooks) cost ~50 µs of a loaded proxy's CPU per
// connection, most of it for nothing; this costs one timer and four listeners.
import type { Duplex } from 'node:stream';

export interface FirstBytesOptions {
  /** The connection is closed when nothing arrives within this time (limits.idle_timeout). */
  idleTimeoutMs: number;
}

function ignore(): void {}

/**
 * Calls `onFirstBytes` with the first chunk the client sends and how long it waited for it (ms); the
 * callback owns the socket from then on (and must keep reading it). A client that half-closes before sending anything gets our end too;
 * one that stays silent for `idleTimeoutMs` is ended, and destroyed if it still has not closed after
 * as long again. `onFirstBytes` is never called for a connection that closes silent.
 */
export function awaitFirstBytes(socket: Duplex, options: FirstBytesOptions, onFirstBytes: (chunk: Buffer, waitedMs: number) => void): void {
  const startedAt = performance.now();
  let ended = false;
  const onIdle = (): void => {
    if (ended) {
      socket.destroy(); // we ended our side one idle period ago and the client never closed its own
      return;
    }
    ended = true;
    socket.end();
    timer.refresh();
  };
  const timer = setTimeout(onIdle, options.idleTimeoutMs);
  const onData = (chunk: Buffer): void => {
    stopWaiting();
    onFirstBytes(chunk, performance.now() - startedAt);
  };
  const onEnd = (): void => {
    socket.end(); // the same as the request loop between requests: nothing was asked, nothing is owed
  };
  const stopWaiting = (): void => {
    clearTimeout(timer);
    socket.removeListener('data', onData);
    socket.removeListener('end', onEnd);
    socket.removeListener('error', ignore);
    socket.removeListener('close', stopWaiting);
  };
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('error', ignore); // 'close' follows; the connection's owner records the error
  socket.on('close', stopWaiting);
  if (socket.destroyed) stopWaiting();
}
