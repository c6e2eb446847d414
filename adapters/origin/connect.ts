// Opens a TCP or TLS connection to an origin target: SNI, client certificate, ALPN and
// verification exactly as the target says, TLS session resumption from a cache keyed by the
// target's full identity. Returns a connected socket; usable by any client-side protocol.
import { connect as netConnect, type Socket } from 'node:net';
import { checkServerIdentity, connect as tlsConnect, type PeerCertificate, type TLSSocket } from 'node:tls';
import { errorCode, isVerifyCode, OriginError } from './errors.js';
import type { OriginTarget } from './target.js';

export interface ConnectedOrigin {
  socket: Socket | TLSSocket;
  /** Permissive verification: why the certificate would have been refused (an OpenSSL/Node code). */
  verifyError: string | undefined;
  /** The TLS session was resumed. */
  resumed: boolean;
  /** ALPN protocol the origin chose ('' for none / plain http). */
  alpn: string;
}

/** TLS sessions to origins by identity key, bounded (oldest dropped first). */
export class SessionCache {
  private readonly sessions = new Map<string, Buffer>();

  constructor(private readonly max = 10_000) {}

  get(key: string): Buffer | undefined {
    return this.sessions.get(key);
  }

  set(key: string, session: Buffer): void {
    this.sessions.delete(key);
    if (this.sessions.size >= this.max) {
      const oldest = this.sessions.keys().next();
      if (!oldest.done) this.sessions.delete(oldest.value);
    }
    this.sessions.set(key, session);
  }

  delete(key: string): void {
    this.sessions.delete(key);
  }

  get size(): number {
    return this.sessions.size;
  }
}

export interface ConnectOptions {
  sessions: SessionCache;
  /** Aborts the attempt (the client went away). */
  signal?: AbortSignal | undefined;
}

export function connectOrigin(target: OriginTarget, options: ConnectOptions): Promise<ConnectedOrigin> {
  const { rule, identity } = target;
  const timeoutMs = rule.timeouts.connectMs;
  return new Promise<ConnectedOrigin>((resolve, reject) => {
    let settled = false;
    let tcpUp = false;
    let socket: Socket | TLSSocket;
    const https = identity.protocol === 'https:';
    const verifyMode = rule.verify.mode;
    if (https) {
      const tls = tlsConnect({
        host: identity.address,
        port: identity.port,
        ...(target.servername !== undefined ? { servername: target.servername } : {}),
        secureContext: target.material!.secureContext,
        ALPNProtocols: target.alpn.length > 0 ? [...target.alpn] : undefined,
        rejectUnauthorized: verifyMode === 'strict',
        // the name is checked against the SNI sent (or the `to` host), never the address connected to
        checkServerIdentity: verifyMode === 'strict' ? (_host: string, cert: PeerCertificate) => checkServerIdentity(target.verifyName, cert) : () => undefined,
        session: options.sessions.get(target.sessionKey),
      });
      tls.setNoDelay(true); // heads and small bodies must not wait for Nagle
      tls.on('session', (session: Buffer) => options.sessions.set(target.sessionKey, session));
      socket = tls;
    } else {
      socket = netConnect({ host: identity.address, port: identity.port, noDelay: true });
    }
    const timer = setTimeout(() => fail(new OriginError('connect_timeout', `no connection to ${target.addressKey} within ${timeoutMs} ms`)), timeoutMs);
    const onAbort = (): void => fail(new OriginError('aborted', 'connection attempt aborted'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) queueMicrotask(onAbort);

    const onError = (err: Error): void => {
      const code = errorCode(err);
      if (!tcpUp) {
        if (code === 'ECONNREFUSED') fail(new OriginError('connect_refused', `${target.addressKey} refused the connection`, { cause: err, detail: code }));
        else if (code === 'ETIMEDOUT') fail(new OriginError('connect_timeout', `connecting to ${target.addressKey} timed out`, { cause: err, detail: code }));
        else fail(new OriginError('connect_reset', `connecting to ${target.addressKey} failed (${code ?? 'error'})`, { cause: err, detail: code }));
      } else if (isVerifyCode(code)) {
        fail(new OriginError('verify_failed', `${target.addressKey} certificate refused for ${target.verifyName} (${code})`, { cause: err, detail: code }));
      } else {
        fail(new OriginError('tls_failed', `TLS handshake with ${target.addressKey} failed (${code ?? 'error'})`, { cause: err, detail: code }));
      }
    };
    const onClose = (): void => {
      if (!tcpUp) fail(new OriginError('connect_reset', `${target.addressKey} closed while connecting`));
      else fail(new OriginError('tls_failed', `${target.addressKey} closed during the TLS handshake`));
    };
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.once('connect', () => {
      tcpUp = true;
      if (!https) succeed(undefined, false, '');
    });
    if (https) {
      const tls = socket as TLSSocket;
      tls.once('secureConnect', () => {
        let verifyError: string | undefined;
        if (verifyMode === 'permissive') {
          // connect anyway, but say why strict mode would have refused (becomes an event)
          if (!tls.authorized) verifyError = String(tls.authorizationError);
          else {
            const nameError = checkServerIdentity(target.verifyName, tls.getPeerCertificate());
            if (nameError) verifyError = errorCode(nameError) ?? 'ERR_TLS_CERT_ALTNAME_INVALID';
          }
        }
        const alpn = tls.alpnProtocol;
        succeed(verifyError, tls.isSessionReused(), typeof alpn === 'string' ? alpn : '');
      });
    }

    function cleanup(): void {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      socket.removeListener('error', onError);
      socket.removeListener('close', onClose);
    }
    function succeed(verifyError: string | undefined, resumed: boolean, alpn: string): void {
      if (settled) return;
      settled = true;
      cleanup();
      resolve({ socket, verifyError, resumed, alpn });
    }
    function fail(err: OriginError): void {
      if (settled) return;
      settled = true;
      cleanup();
      // a session that led to a failed handshake is not offered again
      if (https && err.code !== 'connect_refused') options.sessions.delete(target.sessionKey);
      socket.on('error', () => undefined);
      socket.destroy();
      reject(err);
    }
  });
}
