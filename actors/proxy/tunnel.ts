// TCP passthrough for `tunnel` rules: connect to the backend, replay the peeked ClientHello,
// then pipe bytes both ways untouched (the backend terminates TLS itself).
import { connect, type Socket } from 'node:net';
import type { TunnelDialer } from '../connection/ports.js';

export function tcpTunnelDialer(connectTimeoutMs: number): TunnelDialer {
  return {
    open(client, peeked, backend, callbacks) {
      const upstream: Socket = connect({ host: backend.host, port: backend.port });
      upstream.setNoDelay(true);
      const timer = setTimeout(() => upstream.destroy(new Error(`connect timeout after ${connectTimeoutMs} ms`)), connectTimeoutMs);
      upstream.once('connect', () => {
        clearTimeout(timer);
        callbacks.opened();
        upstream.write(peeked);
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
      upstream.once('error', (err: Error & { code?: string }) => {
        clearTimeout(timer);
        if (upstream.connecting || !upstream.remoteAddress) callbacks.failed('tunnel_connect_failed', `backend ${backend.host}:${backend.port}: ${err.message}`);
        client.destroy();
      });
      upstream.once('close', () => client.destroy());
      client.once('close', () => upstream.destroy());
      client.on('error', () => upstream.destroy());
    },
  };
}
