// The native engine: Node's OpenSSL (node:tls) terminating connections whose ClientHello was
// already peeked. The raw socket and its peeked bytes go to the tls.Server of the connection's
// policy (socket.unshift + emit('connection'), PLATFORM-FACTS), one server per distinct policy —
// or several: a policy has one *variant* per live ticket key (node:tls holds one 48-byte ticket key
// per context), and the caller picks the variant from the ticket's key name in the peeked hello.
import net, { type Socket } from 'node:net';
import tls from 'node:tls';
import { KeyMaterialStore } from './key-material.js';
import { serverOptions, type NativePolicy } from './server-options.js';

export interface NativeHandshakeCallbacks {
  secure(socket: tls.TLSSocket): void;
  failed(error: NativeHandshakeError, socket: tls.TLSSocket | undefined): void;
}

export interface NativeEngineOptions {
  handshakeTimeoutMs: number;
  /** Extra options for a new server of `policy` and `variant` (resumption: ticket key, session id context). */
  serverOptions?: (policy: NativePolicy, variant: string) => tls.TlsOptions;
  /** Called once per new tls.Server (resumption attaches session handlers here). */
  configureServer?: (server: tls.Server, policy: NativePolicy, variant: string, features: ServerFeatures) => void;
}

/** What a server is built for beyond its policy and variant. */
export interface ServerFeatures {
  /**
   * It serves handshakes that may use the TLS 1.2 session-ID cache. A server with session listeners
   * costs every handshake a ClientHello parse and two session serialisations into JS, which a TLS 1.3
   * handshake never uses, so those go to a server built without them.
   */
  readonly sessionIds: boolean;
}

interface ServerEntry {
  readonly server: tls.Server;
  readonly policyId: string;
  readonly variant: string;
}

export class NativeHandshakeError extends Error {
  override readonly name = 'NativeHandshakeError';
  constructor(
    /** Stable reason, e.g. `no_application_protocol`, `protocol_version`, `no_shared_cipher`, `timeout`. */
    readonly code: string,
    /** The alert the client was sent (by name), or null when it is unknown or none was sent. */
    readonly alert: string | null,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class NativeEngine {
  private readonly servers = new Map<string, ServerEntry>();
  /** Connections handed to a server and not yet secure or failed, by raw socket (or 4-tuple: see pendingKey). */
  private readonly pending = new Map<Socket | string, NativeHandshakeCallbacks>();
  /** What each accepted raw socket registered (a closed socket no longer knows its peer address). */
  private readonly registered = new WeakMap<Socket, { key: Socket | string; callbacks: NativeHandshakeCallbacks }>();
  readonly keys = new KeyMaterialStore();

  constructor(private readonly options: NativeEngineOptions) {}

  /**
   * Builds (and caches) the server for a policy and variant ('' = the policy's base server);
   * throws KeyMaterialError for unusable keys.
   */
  serverFor(policy: NativePolicy, variant = '', features: ServerFeatures = WITH_SESSION_IDS): tls.Server {
    const mapKey = (variant ? `${policy.id}/${variant}` : policy.id) + (features.sessionIds ? '' : '#no-session-ids');
    const existing = this.servers.get(mapKey);
    if (existing) return existing.server;
    const base = serverOptions(policy, this.keys.get(policy.certificate), this.options.handshakeTimeoutMs);
    const server = tls.createServer(this.options.serverOptions ? { ...base, ...this.options.serverOptions(policy, variant) } : base);
    server.on('secureConnection', (socket: tls.TLSSocket) => {
      const key = pendingKeyOfTls(socket);
      const callbacks = this.pending.get(key);
      if (!callbacks) return;
      this.pending.delete(key);
      callbacks.secure(socket);
    });
    server.on('tlsClientError', (err: Error, socket: tls.TLSSocket) => {
      const key = pendingKeyOfTls(socket);
      const callbacks = this.pending.get(key);
      if (!callbacks) return;
      this.pending.delete(key);
      callbacks.failed(classify(err), socket);
    });
    this.options.configureServer?.(server, policy, variant, features);
    this.servers.set(mapKey, { server, policyId: policy.id, variant });
    return server;
  }

  /** Every server built so far, by `policyId` or `policyId/variant`. */
  *allServers(): Iterable<[string, tls.Server]> {
    for (const [key, entry] of this.servers) yield [key, entry.server];
  }

  /**
   * Forgets the servers `keep` refuses (a ticket key left the block). Handshakes already handed to
   * one finish on it; new connections can no longer reach it. Returns how many were dropped.
   */
  dropServers(keep: (policyId: string, variant: string) => boolean): number {
    let n = 0;
    for (const [key, entry] of this.servers) {
      if (!keep(entry.policyId, entry.variant)) {
        this.servers.delete(key);
        n++;
      }
    }
    return n;
  }

  /**
   * Starts the handshake on `socket`, whose first `peeked` bytes were already read. The socket must
   * be paused with no 'data' listener. Exactly one callback fires, unless the socket closes first
   * (then the caller's own 'close' handler sees it; call `forget`).
   */
  accept(socket: Socket, peeked: Uint8Array, policy: NativePolicy, callbacks: NativeHandshakeCallbacks, variant = '', features: ServerFeatures = WITH_SESSION_IDS): void {
    const server = this.serverFor(policy, variant, features);
    const key = pendingKey(socket);
    this.pending.set(key, callbacks);
    this.registered.set(socket, { key, callbacks });
    socket.unshift(peeked);
    server.emit('connection', socket);
  }

  /** Drops a connection's pending entry; call it when the socket closes. */
  forget(socket: Socket): void {
    const entry = this.registered.get(socket);
    if (!entry) return;
    this.registered.delete(socket);
    // Only our own entry: a client reusing the 4-tuple (RST, no TIME_WAIT) may have registered again.
    if (this.pending.get(entry.key) === entry.callbacks) this.pending.delete(entry.key);
  }

  /** Handshakes handed to a server and not yet secure, failed or forgotten (should track open connections). */
  pendingHandshakes(): number {
    return this.pending.size;
  }

  close(): void {
    for (const { server } of this.servers.values()) server.removeAllListeners();
    this.servers.clear();
    this.pending.clear();
  }
}

const WITH_SESSION_IDS: ServerFeatures = { sessionIds: true };

/**
 * node:tls keeps the socket it wraps as the TLSSocket's `_parent`. That field is undocumented, so it
 * is checked once here; where it holds, a pending handshake is found by its raw socket — no
 * getpeername/getsockname pair and key string per connection. Elsewhere, by TCP 4-tuple. (Checked on
 * first use: building a TLSSocket loads OpenSSL's default context, ~3 ms.)
 */
let wrappedSocketIsParent: boolean | undefined;

function parentHoldsWrappedSocket(): boolean {
  wrappedSocketIsParent ??= probeParentField();
  return wrappedSocketIsParent;
}

function probeParentField(): boolean {
  try {
    const raw = new net.Socket();
    const wrapped = new tls.TLSSocket(raw, { isServer: true });
    const same = (wrapped as unknown as { _parent?: unknown })._parent === raw;
    wrapped.destroy();
    raw.destroy();
    return same;
  } catch {
    return false;
  }
}

function pendingKey(raw: Socket): Socket | string {
  return parentHoldsWrappedSocket() ? raw : tupleKey(raw);
}

function pendingKeyOfTls(socket: tls.TLSSocket): Socket | string {
  if (!parentHoldsWrappedSocket()) return tupleKey(socket);
  const parent = (socket as unknown as { _parent?: unknown })._parent;
  return parent instanceof net.Socket ? parent : '';
}

function tupleKey(socket: { remoteAddress?: string | undefined; remotePort?: number | undefined; localAddress?: string | undefined; localPort?: number | undefined }): string {
  return `${socket.remoteAddress}|${socket.remotePort}|${socket.localAddress}|${socket.localPort}`;
}

/** Maps OpenSSL/Node handshake errors to a reason code and the alert OpenSSL sent for it. */
export function classify(err: Error & { code?: string; reason?: string }): NativeHandshakeError {
  const code = err.code ?? '';
  const reason = (err.reason ?? err.message).toLowerCase();
  const table: Array<[RegExp, string, string | null]> = [
    [/no_application_protocol|no application protocol/, 'no_application_protocol', 'no_application_protocol'],
    [/unsupported_protocol|unsupported protocol|wrong_version_number|version too low|protocol version/, 'protocol_version', 'protocol_version'],
    [/no_shared_cipher|no shared cipher/, 'no_shared_cipher', 'handshake_failure'],
    [/no_suitable_key_share|no suitable key share|no_shared_group|no shared group/, 'no_shared_group', 'handshake_failure'],
    [/no_suitable_signature_algorithm|no suitable signature/, 'no_shared_signature_algorithm', 'handshake_failure'],
    [/peer did not return a certificate|certificate_required/, 'client_cert_missing', 'certificate_required'],
    [/alert/, 'client_alert', null],
    [/timed? ?out|timeout/, 'handshake_timeout', null],
    [/econnreset|socket hang up|closed/, 'client_closed', null],
  ];
  for (const [re, reasonCode, alert] of table) {
    if (re.test(reason) || re.test(code.toLowerCase())) {
      return new NativeHandshakeError(reasonCode, alert, err.message, { cause: err });
    }
  }
  if (code === 'ERR_SSL_HANDSHAKE_TIMEOUT' || /timeout/i.test(err.message)) return new NativeHandshakeError('handshake_timeout', null, err.message, { cause: err });
  return new NativeHandshakeError(code ? code.toLowerCase().replace(/^err_ssl_/, '') : 'handshake_error', null, err.message, { cause: err });
}
