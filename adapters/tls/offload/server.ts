// An offload TLS server on a net.Server: each accepted socket becomes an OffloadTlsSocket, and
// 'secureConnection' fires once its handshake completes — the same shape as tls.Server, so an
// http.Server or http2 server can be fed with `emit('connection', socket)` (see routeByAlpn).
import { EventEmitter } from 'node:events';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import type { Http2Server } from 'node:http2';
import { OffloadTlsSocket, type OffloadSocketOptions } from './socket.js';

export interface OffloadServerEvents {
  secureConnection: [socket: OffloadTlsSocket];
  tlsClientError: [error: Error, socket: OffloadTlsSocket];
}

export class OffloadServer extends EventEmitter<OffloadServerEvents> {
  readonly net: Server;

  constructor(private readonly options: OffloadSocketOptions) {
    super();
    this.net = createNetServer({ noDelay: true, allowHalfOpen: true }, (socket) => this.accept(socket));
  }

  /** Takes over a socket accepted elsewhere (e.g. after the listener peeked the ClientHello). */
  accept(socket: Socket, initialData?: Uint8Array): OffloadTlsSocket {
    const tls = new OffloadTlsSocket(socket, initialData ? { ...this.options, initialData } : this.options);
    tls.once('secure', () => this.emit('secureConnection', tls));
    tls.once('error', (err) => {
      if (!tls.handshake) this.emit('tlsClientError', err, tls);
    });
    return tls;
  }

  listen(port: number, host = '127.0.0.1'): Promise<number> {
    return new Promise((resolve, reject) => {
      this.net.once('error', reject);
      this.net.listen(port, host, () => {
        const a = this.net.address();
        resolve(typeof a === 'object' && a ? a.port : port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.net.close(() => resolve()));
  }
}

/** Hands each established connection to the h2 server when ALPN chose h2, else to the HTTP/1.1 server. */
export function routeByAlpn(server: OffloadServer, http1: HttpServer, h2?: Http2Server): void {
  server.on('secureConnection', (socket) => {
    if (h2 && socket.alpnProtocol === 'h2') h2.emit('connection', socket);
    else http1.emit('connection', socket);
  });
}
