// A small HTTPS client for tests: one request on a fresh TLS connection with a chosen SNI,
// returning what the user would see (status, body, certificate subject, TLS version, ALPN).
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';

export interface HttpsResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  subject: string;
  protocol: string | null;
  alpn: string | false;
  localPort: number;
}

export function httpsGet(port: number, servername: string, path: string, ca: string | Buffer, options: { host?: string; headers?: Record<string, string>; method?: string; body?: string } = {}): Promise<HttpsResult> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        servername,
        ca,
        agent: false,
        headers: { host: options.host ?? servername, ...options.headers },
      },
      (res) => {
        const socket = res.socket as TLSSocket;
        const cert = socket.getPeerCertificate();
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
            subject: String(cert.subject?.CN ?? ''),
            protocol: socket.getProtocol(),
            alpn: socket.alpnProtocol ?? false,
            localPort: socket.localPort ?? 0,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
