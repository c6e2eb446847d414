// The demo origin: a tiny HTTP server that answers every request with what it received, so the
// tour shows which name, path and forwarding headers reached the origin through tlsedge.
import { createServer, type Server } from 'node:http';

export interface DemoOrigin {
  server: Server;
  port: number;
  close(): Promise<void>;
}

export async function startDemoOrigin(host = '127.0.0.1', port = 0): Promise<DemoOrigin> {
  const server = createServer((req, res) => {
    const body =
      `hello from the tlsedge demo origin\n` +
      `host: ${req.headers.host ?? ''}\n` +
      `path: ${req.url ?? ''}\n` +
      `x-forwarded-for: ${req.headers['x-forwarded-for'] ?? ''}\n` +
      `x-forwarded-proto: ${req.headers['x-forwarded-proto'] ?? ''}\n` +
      `via: ${req.headers.via ?? ''}\n`;
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const address = server.address();
  return {
    server,
    port: typeof address === 'object' && address ? address.port : port,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
