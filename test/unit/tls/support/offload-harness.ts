// A small offload TLS test server with software keys from the test PKI: echo, HTTP/1.1 and h2
// (routed by ALPN), recording every engine output so tests can assert what the engine did.
import { createHash, randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createH2Server, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import { NodeCryptoProvider } from '../../../../adapters/tls/crypto/node-provider.js';
import { describeKey, softwareSigner, type TranscriptSigner } from '../../../../adapters/tls/crypto/software-signer.js';
import { TicketKeyRing } from '../../../../adapters/tls/crypto/ticket-keys.js';
import type { EngineOutput } from '../../../../adapters/tls/engine/server/io.js';
import { serverPolicy, type ServerPolicy } from '../../../../adapters/tls/engine/server/policy.js';
import { OffloadServer, routeByAlpn } from '../../../../adapters/tls/offload/server.js';
import type { OffloadTlsSocket } from '../../../../adapters/tls/offload/socket.js';
import type { SessionStorePort } from '../../../../adapters/tls/offload/ports.js';
import { testPki, type KeyKind } from './pki.js';

export interface HarnessOptions {
  kinds?: KeyKind[];
  policy?: Partial<ServerPolicy>;
  app?: 'echo' | 'http';
  /** Wraps the software signer (e.g. to add latency or failures). */
  signer?: (inner: TranscriptSigner) => TranscriptSigner;
  sessions?: SessionStorePort;
}

export interface Harness {
  port: number;
  outputs: EngineOutput[];
  completed(): Array<Extract<EngineOutput, { type: 'handshake_completed' }>>;
  sockets: OffloadTlsSocket[];
  close(): Promise<void>;
}

export async function startOffload(options: HarnessOptions = {}): Promise<Harness> {
  const pki = testPki();
  const kinds = options.kinds ?? ['p256'];
  const keys = new Map(kinds.map((k) => [k, pki.server[k].key]));
  const policy = serverPolicy({
    id: 'interop',
    certificates: kinds.map((k) => ({ chain: pki.server[k].chain, key: describeKey(k, pki.server[k].key) })),
    alpn: options.app === 'http' ? ['h2', 'http/1.1'] : [],
    tickets: { mode: 'stateless', lifetimeSeconds: 3600, count: 2, maxEarlyData: 0 },
    ...options.policy,
  });
  const signer = options.signer ? options.signer(softwareSigner(keys)) : softwareSigner(keys);
  const server = new OffloadServer({
    engine: { provider: new NodeCryptoProvider(), policy, tickets: new TicketKeyRing(new Uint8Array(randomBytes(48))) },
    signer,
    ...(options.sessions ? { sessions: options.sessions } : {}),
  });
  const outputs: EngineOutput[] = [];
  const sockets: OffloadTlsSocket[] = [];
  const track = (s: OffloadTlsSocket) => {
    sockets.push(s);
    s.on('engine', (o: EngineOutput) => outputs.push(o));
  };
  const accept = server.accept.bind(server);
  server.accept = (socket, initial) => {
    const s = accept(socket, initial);
    track(s);
    s.on('error', () => undefined);
    return s;
  };

  const closers: Array<() => Promise<void>> = [];
  if (options.app === 'http') {
    const handler = (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => {
      // h2 wraps our Duplex in a JSStreamSocket (whose `.stream` is ours); HTTP/1.1 hands it over as is.
      const raw = req.socket as unknown as { alpnProtocol?: unknown; stream?: OffloadTlsSocket };
      const socket = (raw.alpnProtocol !== undefined ? raw : raw.stream) as OffloadTlsSocket | undefined;
      const url = new URL(req.url ?? '/', 'https://x');
      if (req.method === 'POST') {
        let n = 0;
        const hash = createHash('sha256');
        req.on('data', (c: Buffer) => {
          n += c.length;
          hash.update(c);
        });
        req.on('end', () => {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ received: n, sha256: hash.digest('hex') }));
        });
        return;
      }
      const size = Number(url.searchParams.get('bytes') ?? 0);
      if (size > 0) {
        res.setHeader('content-type', 'application/octet-stream');
        res.end(Buffer.alloc(size, 0x61));
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ httpVersion: req.httpVersion, alpn: socket?.alpnProtocol ?? null, sni: socket?.servername ?? null, resumed: socket?.handshake?.resumed ?? null }));
    };
    const http1 = createHttpServer(handler);
    const h2 = createH2Server(handler);
    routeByAlpn(server, http1, h2);
    closers.push(async () => {
      http1.closeAllConnections();
    });
  } else {
    server.on('secureConnection', (socket) => {
      socket.on('data', (d: Buffer) => socket.write(d));
      socket.on('end', () => socket.end());
    });
  }
  const port = await server.listen(0);
  return {
    port,
    outputs,
    sockets,
    completed: () => outputs.filter((o): o is Extract<EngineOutput, { type: 'handshake_completed' }> => o.type === 'handshake_completed'),
    async close() {
      for (const s of sockets) s.destroy();
      for (const c of closers) await c();
      await server.close();
    },
  };
}
