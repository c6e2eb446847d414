// Test origins: plain HTTP servers on random loopback ports that answer with what they received,
// so tests can check what tlsedge forwarded.
import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface TestOrigin {
  server: Server;
  port: number;
  url: string;
  /** Every request the origin received. */
  seen: Array<{ method: string; url: string; headers: IncomingMessage['headers'] }>;
  close(): Promise<void>;
}

export async function startEchoOrigin(label = 'origin'): Promise<TestOrigin> {
  const seen: TestOrigin['seen'] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => {
      const body = `${label} ${req.method} ${req.headers.host} ${req.url}\n`;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
