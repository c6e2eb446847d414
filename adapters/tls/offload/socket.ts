// OffloadTlsSocket: a Duplex that runs the sans-I/O TLS 1.3 engine over a net.Socket, so that
// http.Server and http2 servers can use it like a TLSSocket (emit 'connection' with it). While the
// engine waits for a signature or a session lookup, reading from the TCP socket is paused (TCP
// backpressure); the async answer re-enters the engine on the event loop, never from another thread.
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { createServer, handle } from '../engine/server/handle.js';
import type { ServerConfig } from '../engine/server/config.js';
import type { EngineInput, EngineOutput, HandshakeCompleted } from '../engine/server/io.js';
import type { ServerState } from '../engine/server/state.js';
import { OffloadTlsError } from './errors.js';
import { sharedHandshakePacer, type HandshakePacer } from './handshake-pacer.js';
import type { OffloadPorts } from './ports.js';

export interface OffloadSocketOptions extends OffloadPorts {
  readonly engine: ServerConfig;
  /**
   * Bytes already read from `socket` (e.g. by the ClientHello peek), fed before anything else.
   * Leave the socket paused: it is resumed once these are processed (unless the engine then waits).
   */
  readonly initialData?: Uint8Array;
  /** Destroy the connection if the handshake has not completed by then (default 10 s; 0: never). */
  readonly handshakeTimeoutMs?: number;
  /**
   * Keep writing after the peer closed (TLS 1.3 half-close). Default false, as on a TLSSocket:
   * when the peer's close_notify or EOF arrives, our side ends too (close_notify, then FIN).
   */
  readonly allowHalfOpen?: boolean;
  /**
   * Runs this connection's handshake steps in bounded slices between other I/O (default: the
   * process-wide pacer). `null` steps the engine as soon as input arrives.
   */
  readonly pacer?: HandshakePacer | null;
}

type PendingWrite = { chunk: Uint8Array; callback: (err?: Error | null) => void };

export class OffloadTlsSocket extends Duplex {
  /** http/https code checks this to tell a TLS socket (e.g. for `req.protocol`, h2 `:scheme`). */
  readonly encrypted = true;
  /** The negotiated ALPN protocol, or false (as on a TLSSocket). */
  alpnProtocol: string | false = false;
  servername: string | false = false;
  /** The handshake result, once complete. */
  handshake: HandshakeCompleted | undefined;
  readonly socket: Socket;

  private state: ServerState;
  private readonly ports: OffloadPorts;
  /** The engine's clock: lookup deadlines are expressed in it. */
  private readonly now: () => number;
  /** Paused for the signer or the session store: the engine takes no records. */
  private waitingForHost = false;
  /** Paused because our readable side is full. */
  private readBackpressure = false;
  private pendingWrites: PendingWrite[] = [];
  private handshakeTimer: NodeJS.Timeout | undefined;
  private lookupAbort: AbortController | undefined;
  private failure: OffloadTlsError | undefined;
  private corked = false;
  private readonly pacer: HandshakePacer | null;
  /** Inputs waiting for a pacer slice, in arrival order (the socket is paused meanwhile). */
  private queuedInputs: EngineInput[] = [];

  constructor(socket: Socket, options: OffloadSocketOptions) {
    super({ allowHalfOpen: options.allowHalfOpen ?? false });
    this.socket = socket;
    this.ports = options;
    const clock = options.engine.clock;
    this.now = clock ? () => clock.now() : Date.now;
    this.state = createServer(options.engine);
    this.pacer = options.pacer === undefined ? sharedHandshakePacer : options.pacer;
    socket.on('data', (chunk: Buffer) => this.input({ type: 'received', data: chunk }));
    socket.on('end', () => this.input({ type: 'eof' }));
    // After the handshake a TCP error (reset, write after the peer's FIN) ends the connection like a
    // close: http2 over a JS stream (JSStreamSocket) asserts when its stream errors while one of its
    // writes is in flight (Node 20), and the raw socket's own 'error' already tells its owner.
    socket.on('error', (err) => (this.handshake ? this.destroy() : this.destroy(err)));
    socket.on('close', () => {
      if (!this.destroyed) this.destroy(this.handshake ? undefined : new OffloadTlsError('socket_closed', 'connection closed before the handshake completed'));
    });
    socket.on('timeout', () => this.emit('timeout'));
    socket.on('drain', () => this.flushPendingCallbacks());
    const timeout = options.handshakeTimeoutMs ?? 10_000;
    if (timeout > 0) {
      this.handshakeTimer = setTimeout(() => this.destroy(new OffloadTlsError('handshake_timeout', `no handshake after ${timeout} ms`)), timeout);
      this.handshakeTimer.unref();
    }
    // The socket resumes itself once the peeked bytes are in: a caller that resumed it at once
    // could let later bytes (e.g. rejected 0-RTT data) overtake the hello (nextTick runs before
    // microtasks). Until then listeners can attach: no output is emitted synchronously.
    const data = options.initialData;
    queueMicrotask(() => {
      if (data && data.length) this.input({ type: 'received', data });
      this.resumeSocket();
    });
  }

  // --- what http.Server / http2 use on a TLSSocket -------------------------------------------

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }
  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }
  get remoteFamily(): string | undefined {
    return this.socket.remoteFamily;
  }
  get localAddress(): string | undefined {
    return this.socket.localAddress;
  }
  get localPort(): number | undefined {
    return this.socket.localPort;
  }
  get bytesWritten(): number {
    return this.socket.bytesWritten;
  }
  get bytesRead(): number {
    return this.socket.bytesRead;
  }
  get connecting(): boolean {
    return false;
  }
  address(): ReturnType<Socket['address']> {
    return this.socket.address();
  }
  setNoDelay(noDelay?: boolean): this {
    this.socket.setNoDelay(noDelay);
    return this;
  }
  setKeepAlive(enable?: boolean, initialDelay?: number): this {
    this.socket.setKeepAlive(enable, initialDelay);
    return this;
  }
  setTimeout(ms: number, callback?: () => void): this {
    this.socket.setTimeout(ms);
    if (callback) this.once('timeout', callback);
    return this;
  }
  ref(): this {
    this.socket.ref();
    return this;
  }
  unref(): this {
    this.socket.unref();
    return this;
  }
  getProtocol(): string | null {
    return this.handshake ? 'TLSv1.3' : null;
  }
  getCipher(): { name: string; standardName: string; version: string } | undefined {
    return this.handshake ? { name: this.handshake.suite, standardName: this.handshake.suite, version: 'TLSv1.3' } : undefined;
  }
  /** DER certificates the client presented (leaf first), as raw bytes. */
  get peerCertificates(): readonly Uint8Array[] {
    return this.handshake?.clientCertificates ?? [];
  }
  /** Starts a KeyUpdate (RFC 8446 §4.6.3); `requestPeer` asks the client to update too. */
  keyUpdate(requestPeer = false): void {
    this.input({ type: 'key_update', requestPeer });
  }

  // --- Duplex ------------------------------------------------------------------------------------

  override _read(): void {
    if (this.readBackpressure) {
      this.readBackpressure = false;
      this.resumeSocket();
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length), callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (err?: Error | null) => void): void {
    // Coalesce: one engine call, full-size records, one socket write.
    this.enqueue(new Uint8Array(Buffer.concat(chunks.map((c) => c.chunk))), callback);
  }

  override _final(callback: (err?: Error | null) => void): void {
    // Before the handshake completes no application write can be pending (their callbacks wait
    // for it), so ending now abandons the handshake: the engine says close_notify and closes.
    // Inputs still waiting for a pacer turn go first, so that the alert precedes our FIN.
    if (this.queuedInputs.length > 0) this.runQueuedInputs();
    this.step({ type: 'close' });
    this.socket.end();
    callback();
  }

  override _destroy(err: Error | null, callback: (err: Error | null) => void): void {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.lookupAbort?.abort();
    for (const w of this.pendingWrites) w.callback(err ?? new OffloadTlsError('socket_closed', 'socket destroyed'));
    this.pendingWrites = [];
    this.socket.destroy();
    callback(err ?? this.failure ?? null);
  }

  // --- engine driving ----------------------------------------------------------------------------

  private enqueue(chunk: Uint8Array, callback: (err?: Error | null) => void): void {
    if (!this.handshake) {
      // Until the handshake completes, data waits (the engine sends no 0.5-RTT data).
      this.pendingWrites.push({ chunk, callback });
      return;
    }
    this.step({ type: 'send', data: chunk });
    if (this.socket.writableNeedDrain) this.pendingWrites.push({ chunk: new Uint8Array(0), callback });
    else callback();
  }

  private flushPendingCallbacks(): void {
    if (!this.handshake) return;
    const waiting = this.pendingWrites;
    this.pendingWrites = [];
    for (const w of waiting) {
      if (w.chunk.length) this.step({ type: 'send', data: w.chunk });
      w.callback();
    }
  }

  /**
   * Until the handshake completes, inputs wait for a pacer slice (the expensive steps: key shares,
   * signatures' flights, Finished checks); afterwards records are handled as they arrive.
   */
  private input(input: EngineInput): void {
    if (this.destroyed) return;
    if (!this.pacer || (this.handshake && this.queuedInputs.length === 0)) {
      this.step(input);
      return;
    }
    this.queuedInputs.push(input);
    if (this.queuedInputs.length === 1) {
      this.socket.pause(); // arrival order and TCP backpressure hold while the step waits its turn
      this.pacer.schedule(this.runQueuedInputs);
    }
  }

  private readonly runQueuedInputs = (): void => {
    const inputs = this.queuedInputs;
    this.queuedInputs = [];
    for (const input of inputs) this.step(input);
    this.resumeSocket();
  };

  private step(input: EngineInput): void {
    if (this.destroyed) return;
    this.corkForTick();
    const { state, out } = handle(this.state, input);
    this.state = state;
    for (const o of out) this.apply(o);
  }

  private apply(o: EngineOutput): void {
    // Every output is also offered to listeners (the connection actor turns them into events).
    this.emit('engine', o);
    switch (o.type) {
      case 'write':
        // A socket ended by the peer's FIN (allowHalfOpen false) would answer a write with EPIPE.
        if (this.socket.writable) this.socket.write(o.data);
        return;
      case 'sign_transcript':
        this.pauseForHost();
        this.ports.signer({ keyId: o.keyId, scheme: o.scheme, content: o.content }).then(
          (signature) => this.resumeFromHost({ type: 'signature_ready', signature }),
          (err: unknown) => this.resumeFromHost({ type: 'signature_failed', reason: reasonOf(err) }),
        );
        return;
      case 'lookup_session':
        this.lookup(o.identity, o.deadlineMs);
        return;
      case 'store_session':
        this.ports.sessions?.put(o.identity, o.session, o.ttlMs, o.sni);
        return;
      case 'application_data':
        if (!this.push(Buffer.from(o.data.buffer, o.data.byteOffset, o.data.length))) {
          this.readBackpressure = true;
          this.socket.pause();
        }
        return;
      case 'handshake_completed':
        this.handshake = o;
        this.alpnProtocol = o.alpn ?? false;
        this.servername = o.sni ?? false;
        if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
        this.emit('secure');
        queueMicrotask(() => this.flushPendingCallbacks());
        return;
      case 'peer_closed':
        this.push(null);
        return;
      case 'alert_sent':
        this.failure = new OffloadTlsError('tls_alert_sent', `TLS alert ${o.name} sent: ${o.reason}`, o.name, o.code);
        return;
      case 'alert_received':
        if (o.name !== 'close_notify' && o.name !== 'user_canceled') {
          this.failure = new OffloadTlsError('tls_alert_received', `TLS alert ${o.name} received`, o.name);
        }
        return;
      case 'closed':
        this.socket.end();
        if (o.reason === 'alert_sent' || o.reason === 'alert_received' || !this.handshake) {
          // Let the alert reach the peer, then surface the failure.
          const failure = this.failure ?? new OffloadTlsError('socket_closed', `connection closed (${o.reason})`);
          this.socket.once('close', () => this.destroy(failure));
          this.push(null);
        } else if (!this.readableEnded) {
          this.push(null);
        }
        return;
      default:
        return; // facts only: ticket_issued, key_updated, early_data_skipped, input_refused
    }
  }

  /**
   * Records produced in one tick (a flight, tickets, the application's answer to the data that
   * arrived with the client Finished) leave in one writev syscall instead of one write each.
   */
  private corkForTick(): void {
    if (this.corked) return;
    this.corked = true;
    this.socket.cork();
    process.nextTick(() => {
      this.corked = false;
      this.socket.uncork();
    });
  }

  private lookup(identity: Uint8Array, deadlineMs: number): void {
    const sessions = this.ports.sessions;
    if (!sessions) {
      queueMicrotask(() => this.input({ type: 'session_missing', reason: 'not_found' }));
      return;
    }
    this.pauseForHost();
    const abort = new AbortController();
    this.lookupAbort = abort;
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      abort.abort();
      this.resumeFromHost({ type: 'session_missing', reason: 'timeout' });
    }, Math.max(0, deadlineMs - this.now()));
    sessions.get(identity, abort.signal).then(
      (session) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.resumeFromHost(session ? { type: 'session_found', session } : { type: 'session_missing', reason: 'not_found' });
      },
      () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.resumeFromHost({ type: 'session_missing', reason: 'error' });
      },
    );
  }

  private pauseForHost(): void {
    this.waitingForHost = true;
    this.socket.pause();
  }

  private resumeFromHost(input: EngineInput): void {
    if (this.destroyed) return;
    this.waitingForHost = false;
    this.input(input);
    this.resumeSocket();
  }

  private resumeSocket(): void {
    if (!this.waitingForHost && !this.readBackpressure && !this.destroyed && this.queuedInputs.length === 0) this.socket.resume();
  }
}

function reasonOf(err: unknown): string {
  // Signer errors carry a stable code; their messages could name keys or tokens, so only the code travels.
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') return (err as { code: string }).code;
  return 'sign_failed';
}
