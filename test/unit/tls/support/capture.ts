// Captures the first bytes a real TLS client sends: a loopback server records everything until
// the ClientHello peek completes (or fails), then drops the connection.
import { createServer, type Socket } from 'node:net';
import { ClientHelloPeeker, type PeekResult } from '../../../../adapters/tls/hello/peek.js';

export interface Capture {
  port: number;
  /** Resolves with the peek result and the chunks as they arrived, for the first connection. */
  result: Promise<{ result: PeekResult; chunks: Uint8Array[] }>;
  close(): Promise<void>;
}

export async function captureServer(): Promise<Capture> {
  let resolve!: (v: { result: PeekResult; chunks: Uint8Array[] }) => void;
  const result = new Promise<{ result: PeekResult; chunks: Uint8Array[] }>((r) => (resolve = r));
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    const peeker = new ClientHelloPeeker();
    const chunks: Uint8Array[] = [];
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => {
      chunks.push(new Uint8Array(d));
      const r = peeker.feed(new Uint8Array(d));
      if (r.status !== 'need_more') {
        resolve({ result: r, chunks });
        socket.destroy();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    result,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
