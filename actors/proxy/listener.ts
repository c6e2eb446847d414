// Listening sockets: one net.Server per `listen` address. Connection limits live here (a tls.Server
// never sees injected sockets, PLATFORM-FACTS); each accepted socket becomes a connection actor.
import { createServer, type Server, type Socket } from 'node:net';
import type { ListenConfig } from '../../adapters/config/model.js';

export interface BoundListener {
  config: ListenConfig;
  server: Server;
  /** The actual port (differs from config when it was 0). */
  port: number;
}

export async function listen(config: ListenConfig, maxConnections: number, onSocket: (socket: Socket) => void): Promise<BoundListener> {
  const server = createServer({ noDelay: true, pauseOnConnect: false }, onSocket);
  server.maxConnections = maxConnections;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(new Error(`cannot listen on ${config.address}: ${err.code === 'EADDRINUSE' ? 'address already in use (another tlsedge or server is running there?)' : err.message}`, { cause: err }));
    });
    server.listen({ host: config.host, port: config.port, backlog: 2048 }, resolve);
  });
  const address = server.address();
  return { config, server, port: typeof address === 'object' && address ? address.port : config.port };
}
