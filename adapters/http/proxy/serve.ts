// The HTTP/1.1 keep-alive loop on an established client connection (RFC 9112 §9): parse a request
// head, route it, bind it to a pooled origin connection, forward heads rewritten and bodies as
// framed bytes with backpressure both ways, then reuse both connections when the framing allows.
// One object per client connection holds all per-request state, so a request allocates little.
import type { Duplex } from 'node:stream';
import type { LimitsConfig, OriginRule } from '../../config/model.js';
import type { OriginConnection, OriginHandler } from '../../origin/connection.js';
import type { AcquireRequest, OriginLease, OriginPools } from '../../origin/pool.js';
import { BodyFramer } from '../h1/body-framer.js';
import { HttpError, isHttpError } from '../h1/errors.js';
import { PendingBytes } from '../h1/pending.js';
import { parseRequestHead, type RequestHead } from '../h1/request-head.js';
import type { ResponseHead } from '../h1/response-head.js';
import { ResponseHeadReader } from '../h1/response-reader.js';
import type { ClientConnectionInfo, Http1Hooks, OriginFailure, ResponseInfo } from '../hooks.js';
import { localResponse } from './local-response.js';
import { RearmableTimer } from './rearmable-timer.js';
import { boundInfo, failureDetail, failureOf, IDEMPOTENT, statusFor } from './origin-side.js';
import { clientAddressOf, forwardRequestHead, forwardResponseHead, type ForwardContext, type ResponseForwarding } from './rewrite.js';

/** The client socket: a TLSSocket, or any Duplex with the same surface. */
export type ClientSocket = Duplex & { setNoDelay?(noDelay?: boolean): unknown };

export interface Http1Options extends Partial<Pick<LimitsConfig, 'idleTimeoutMs' | 'maxHeaderBytes'>> {
  /** Largest response head accepted from an origin (502 beyond). Default 64 KiB. */
  maxResponseHeaderBytes?: number;
  /** Bytes of pipelined requests buffered while one is in flight before reading pauses. Default 64 KiB. */
  maxPipelinedBytes?: number;
  /** Our `Via` entry. Default `1.1 tlsedge`. */
  via?: string;
  /** `X-Forwarded-Proto`. Default `https`. */
  forwardedProto?: string;
  /** Bytes already read from the socket that belong to the HTTP stream (e.g. after sniffing). */
  initialData?: Buffer;
  /**
   * Time left for the first request head when the connection already waited for its first bytes
   * (first-bytes.ts): the idle limit counts from the handshake, not from the first byte. Default
   * idleTimeoutMs.
   */
  firstHeadWithinMs?: number;
  /** Field lines added to every forwarded request (`Name: value\r\n`…): the client certificate's X-Client-Cert-*. */
  extraRequestFields?: string;
}

export type Http1CloseReason =
  | 'client_closed' // the client closed between requests
  | 'idle_timeout' // no request within limits.idleTimeoutMs
  | 'connection_close' // Connection: close (either side) or HTTP/1.0 without keep-alive
  | 'request_error' // a request was refused (400, 431, …) and the connection closed
  | 'origin_error' // the origin failed in a way that left the connection unusable
  | 'client_aborted' // the client went away mid-exchange
  | 'upgraded'; // the connection became a tunnel, which has ended

export interface Http1Summary {
  requests: number;
  reason: Http1CloseReason;
}

/**
 * Serves HTTP/1.1 on an established client connection until it closes. Resolves (never rejects)
 * once the socket has closed; everything that happened on the way is reported through `hooks`.
 */
export function serveHttp1(socket: ClientSocket, connection: ClientConnectionInfo, hooks: Http1Hooks, pools: OriginPools, options: Http1Options = {}): Promise<Http1Summary> {
  return new Promise((resolve) => {
    new Http1Connection(socket, connection, hooks, pools, options, resolve).start(options.initialData);
  });
}

// connection phases
const HEAD = 0; // waiting for / reading a request head
const BINDING = 1; // head parsed, waiting for an origin connection
const EXCHANGE = 2; // request and response flowing
const TUNNEL = 3; // after 101: raw bytes both ways
const CLOSING = 4; // last response written, closing
const CLOSED = 5;

// response phases within EXCHANGE
const RES_HEAD = 0;
const RES_BODY = 1;
const RES_DONE = 2;

// reasons the client socket is paused (a bit set)
const PAUSE_ORIGIN_FULL = 1; // the origin's write buffer is full
const PAUSE_PIPELINE_FULL = 2; // too many pipelined bytes buffered
const PAUSE_CLIENT_BACKLOG = 4; // the client is not reading our answers: stop reading its requests

/** A body part up to this size is copied behind its head so both go out in one write. */
const MERGE_BODY_BYTES = 16_384;

const NO_REQUEST_BODY = 'none';

class Http1Connection implements OriginHandler {
  private phase = HEAD;
  private readonly pending = new PendingBytes();
  private scanFrom = 0;
  private clientPause = 0;
  private closeReason: Http1CloseReason = 'client_closed';
  private requests = 0;

  // the current exchange
  private req: RequestHead | undefined;
  private rule: OriginRule | undefined;
  private routeSni: string | undefined;
  private lease: OriginLease | undefined;
  private origin: OriginConnection | undefined;
  private readonly reqFramer = new BodyFramer();
  private readonly resFramer = new BodyFramer();
  private readonly resHeads: ResponseHeadReader;
  private resPhase = RES_HEAD;
  private res: ResponseHead | undefined;
  private finalHeadSent = false;
  private keepAlive = true;
  private originTainted = false;
  private originPaused = false;
  private originBytes = 0;
  private retried = false;
  private requestBytes = 0;
  private responseBytes = 0;
  private startedAt = 0;
  private t0 = 0;
  private tHead = -1;

  // timers are created once and re-armed with refresh(); a disarmed timer that fires does nothing
  private readonly idleTimer = new RearmableTimer(() => this.onIdleTimeout());
  private idleArmed = false;
  private readonly originTimer = new RearmableTimer(() => this.onOriginTimeout());
  private originArmed = false;
  private abort: AbortController | undefined;

  private readonly fwd: ForwardContext;
  private readonly maxResponseHead: number;
  private readonly maxPipelined: number;
  private readonly via: string;
  private readonly headLimits: { maxHeadBytes: number };
  private readonly idleTimeoutMs: number;
  private readonly firstHeadWithinMs: number;
  /** Reused per request (the pool does not keep it). */
  private readonly acquireReq: AcquireRequest = { rule: undefined as unknown as OriginRule, host: '', sni: undefined, alpn: 'http/1.1', fresh: false, signal: undefined };
  /** Reused per response (no allocation per request). */
  private readonly resFw: ResponseForwarding;

  constructor(
    private readonly client: ClientSocket,
    conn: ClientConnectionInfo,
    private readonly hooks: Http1Hooks,
    private readonly pools: OriginPools,
    opts: Http1Options,
    private readonly done: (summary: Http1Summary) => void,
  ) {
    this.via = opts.via ?? '1.1 tlsedge';
    this.fwd = { clientAddress: clientAddressOf(conn.remoteAddress), proto: opts.forwardedProto ?? 'https', via: this.via };
    if (opts.extraRequestFields) this.fwd.extra = opts.extraRequestFields;
    this.maxResponseHead = opts.maxResponseHeaderBytes ?? 65_536;
    this.maxPipelined = opts.maxPipelinedBytes ?? 65_536;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 60_000; // limits.idle_timeout default
    this.firstHeadWithinMs = Math.max(1, Math.min(opts.firstHeadWithinMs ?? this.idleTimeoutMs, this.idleTimeoutMs));
    this.headLimits = { maxHeadBytes: opts.maxHeaderBytes ?? 16_384 }; // limits.max_header_size default
    this.resFw = { close: false, keepAliveFor10: false, switching: false, via: this.via };
    this.resHeads = new ResponseHeadReader(this.maxResponseHead);
  }

  start(initial: Buffer | undefined): void {
    const c = this.client;
    c.setNoDelay?.(true);
    c.on('data', (chunk: Buffer) => this.onClientData(chunk));
    c.on('end', () => this.onClientEnd());
    c.on('drain', () => this.onClientDrain());
    c.on('error', () => undefined); // 'close' follows and does the cleanup
    c.on('close', () => this.onClientClose());
    if (c.destroyed) {
      this.onClientClose();
      return;
    }
    if (initial && initial.length > 0) this.pending.append(initial);
    this.nextRequest();
    c.resume();
  }

  // ---- client side ----

  private onClientData(chunk: Buffer): void {
    switch (this.phase) {
      case HEAD:
        this.pending.append(chunk);
        this.nextRequest();
        return;
      case EXCHANGE:
        if (!this.reqFramer.done) this.forwardRequestBody(chunk);
        else this.bufferPipelined(chunk);
        return;
      case BINDING:
        this.bufferPipelined(chunk);
        return;
      case TUNNEL:
        this.requestBytes += chunk.length;
        if (this.origin && !this.origin.socket.write(chunk)) this.pauseClient(PAUSE_ORIGIN_FULL);
        return;
      default:
        return; // closing: late bytes are ignored
    }
  }

  private bufferPipelined(chunk: Buffer): void {
    this.pending.append(chunk);
    if (this.pending.length > this.maxPipelined) this.pauseClient(PAUSE_PIPELINE_FULL);
  }

  private pauseClient(reason: number): void {
    if (this.clientPause === 0) this.client.pause();
    this.clientPause |= reason;
  }

  private resumeClient(reason: number): void {
    if ((this.clientPause & reason) === 0) return;
    this.clientPause &= ~reason;
    if (this.clientPause === 0 && this.phase !== CLOSED) this.client.resume();
  }

  private onClientDrain(): void {
    this.resumeClient(PAUSE_CLIENT_BACKLOG);
    if (this.originPaused) {
      this.originPaused = false;
      this.origin?.socket.resume();
    }
  }

  private onClientEnd(): void {
    if (this.phase === TUNNEL) {
      this.origin?.socket.end();
      return;
    }
    if (this.phase === HEAD) {
      if (this.pending.length > 0) this.closeReason = 'client_aborted';
      this.client.end();
      return;
    }
    // mid-exchange: an HTTP/1.1 client that half-closes cannot read the response (no half-open here)
    if (this.phase === BINDING || this.phase === EXCHANGE) {
      this.closeReason = 'client_aborted';
      this.client.destroy();
    }
  }

  private onClientClose(): void {
    if (this.phase === CLOSED) return;
    const wasTunnel = this.phase === TUNNEL;
    const inExchange = this.phase === BINDING || this.phase === EXCHANGE;
    this.phase = CLOSED;
    this.idleTimer.clear();
    this.originTimer.clear();
    this.abort?.abort();
    if (wasTunnel) {
      this.closeReason = 'upgraded';
      this.reportResponse(101, false);
    } else if (inExchange) {
      if (this.closeReason === 'client_closed') this.closeReason = 'client_aborted';
      this.keepAlive = false;
      this.reportResponse(this.res?.status ?? 0, false); // status 0: the client left before a response
    }
    this.releaseOrigin(false);
    this.pending.clear();
    this.resHeads.clear();
    this.done({ requests: this.requests, reason: this.closeReason });
  }

  /** Writes to the client; pauses the origin when the client's buffer is full. */
  private writeClient(bytes: Buffer): void {
    this.responseBytes += bytes.length;
    if (!this.client.write(bytes) && this.origin) {
      this.originPaused = true;
      this.origin.socket.pause();
    }
  }

  // ---- request heads ----

  /** Parses and starts requests while bytes are buffered (pipelining), in order. */
  private nextRequest(): void {
    while (this.phase === HEAD) {
      let view = this.pending.view();
      // RFC 9112 §2.2: empty lines before a request line are ignored (and must not pile up)
      while (view.length >= 2 && view[0] === 0x0d && view[1] === 0x0a) {
        this.pending.consume(2);
        view = this.pending.view();
      }
      let head: RequestHead | undefined;
      try {
        head = parseRequestHead(view, this.headLimits, this.scanFrom);
      } catch (err) {
        this.refuseRequest(err);
        return;
      }
      if (!head) {
        this.scanFrom = this.pending.length;
        this.armIdle();
        return;
      }
      this.scanFrom = 0;
      this.idleArmed = false;
      this.startRequest(head);
    }
  }

  private startRequest(head: RequestHead): void {
    this.requests++;
    this.req = head;
    this.rule = undefined;
    this.lease = undefined;
    this.res = undefined;
    this.resPhase = RES_HEAD;
    this.finalHeadSent = false;
    this.originTainted = false;
    this.retried = false;
    this.originBytes = 0;
    this.requestBytes = head.end;
    this.responseBytes = 0;
    this.tHead = -1;
    this.startedAt = Date.now();
    this.t0 = performance.now();
    this.keepAlive = head.keepAlive;
    this.pending.consume(head.end);
    this.reqFramer.reset(head.body, head.contentLength, 'request', this.headLimits.maxHeadBytes);

    let route;
    try {
      route = this.hooks.route(head);
    } catch {
      this.report(this.hooks.onRequestError, { request: this.requests, code: 'route_failed', status: 500 });
      this.answerLocally(500, true);
      return;
    }
    if (route.kind !== 'origin') {
      // the body (if any) is not read: close after answering rather than guess where it ends
      this.answerLocally(route.kind === 'misdirected' ? 421 : 404, head.body !== NO_REQUEST_BODY);
      return;
    }
    this.rule = route.rule;
    this.routeSni = route.sni;
    this.phase = BINDING;
    this.bind(false);
  }

  /** A request refused by the parser: answer with its status and close (RFC 9112 §2.2). */
  private refuseRequest(err: unknown): void {
    const status = isHttpError(err) ? err.status : 400;
    const code = isHttpError(err) ? err.code : 'bad_request_line';
    this.requests++;
    this.report(this.hooks.onRequestError, { request: this.requests, code, status });
    this.closeReason = 'request_error';
    this.closeClient(localResponse(status, true));
  }

  /** Ends the client connection after `last`; a client that never closes its side is cut off later. */
  private closeClient(last: Buffer | undefined): void {
    this.phase = CLOSING;
    this.pending.clear();
    if (last) this.client.end(last);
    else this.client.end();
    this.idleArmed = true;
    this.idleTimer.start(this.idleTimeoutMs);
  }

  /** Answers the current request with a local response, then continues or closes. */
  private answerLocally(status: number, close: boolean): void {
    const req = this.req!;
    const bytes = localResponse(status, close || !req.keepAlive, req.method === 'HEAD');
    this.keepAlive = !close && req.keepAlive;
    this.responseBytes = bytes.length;
    this.reportResponse(status, true);
    this.finishClientSide(bytes);
  }

  /** The exchange is over on the client side: write `last` (if any), then next request or close. */
  private finishClientSide(last: Buffer | undefined): void {
    // drop references to this exchange's buffers: an idle keep-alive connection holds nothing
    this.req = undefined;
    this.res = undefined;
    this.lease = undefined;
    this.rule = undefined;
    if (!this.keepAlive) {
      if (this.closeReason === 'client_closed') this.closeReason = 'connection_close';
      this.closeClient(last);
      return;
    }
    if (last && !this.client.write(last)) this.pauseClient(PAUSE_CLIENT_BACKLOG);
    this.phase = HEAD;
    this.resumeClient(PAUSE_PIPELINE_FULL);
  }

  // ---- binding to an origin ----

  private bind(fresh: boolean): void {
    const ar = this.acquireReq;
    ar.rule = this.rule!;
    ar.host = this.req!.host;
    ar.sni = this.routeSni;
    ar.fresh = fresh;
    ar.signal = undefined;
    this.pools.bind(ar, this.abortSignal, this.onLease, this.onLeaseFailed);
  }

  private readonly abortSignal = (): AbortSignal => (this.abort ??= new AbortController()).signal;
  private readonly onLease = (lease: OriginLease): void => this.bound(lease);
  private readonly onLeaseFailed = (err: unknown): void => {
    if (this.phase === BINDING) this.originFailed(err, undefined);
  };

  private bound(lease: OriginLease): void {
    if (this.phase !== BINDING) {
      // the client went away while we waited: the connection is unused and clean
      this.pools.release(lease.connection, true);
      return;
    }
    const req = this.req!;
    const rule = this.rule!;
    const conn = lease.connection;
    this.lease = lease;
    this.origin = conn;
    conn.handler = this;
    this.phase = EXCHANGE;
    this.resHeads.clear();
    this.report(this.hooks.onOriginBound, boundInfo(this.requests, rule.index, lease, conn.id, conn.address, conn.port, this.retried));
    // body bytes that arrived with the head (or while binding) go out in the same write
    let first: Buffer | undefined;
    if (this.pending.length > 0 && !this.reqFramer.done) {
      first = this.takeRequestBody(this.pending.take());
      if (first === undefined) return; // malformed framing: answered already, nothing was sent
    }
    const socket = conn.socket;
    const merge = first !== undefined && first.length <= MERGE_BODY_BYTES;
    const head = forwardRequestHead(req, rule, this.fwd, merge ? first : undefined);
    let ok: boolean;
    if (first === undefined || merge) ok = socket.write(head);
    else {
      socket.cork();
      socket.write(head);
      ok = socket.write(first);
      socket.uncork();
    }
    if (!ok) this.pauseClient(PAUSE_ORIGIN_FULL);
    this.armOrigin(rule.timeouts.responseMs);
    if (this.pending.length <= this.maxPipelined) this.resumeClient(PAUSE_PIPELINE_FULL);
  }

  // ---- request body ----

  /**
   * Scans request body bytes: returns the part that belongs to this request (bytes past its end
   * go to `pending`), or undefined after a framing error, which has been answered.
   */
  private takeRequestBody(chunk: Buffer): Buffer | undefined {
    let end: number;
    try {
      end = this.reqFramer.scan(chunk, 0, chunk.length);
    } catch (err) {
      this.requestBodyFailed(err);
      return undefined;
    }
    if (end === -1) {
      this.requestBytes += chunk.length;
      return chunk;
    }
    this.requestBytes += end;
    if (end < chunk.length) this.bufferPipelined(chunk.subarray(end));
    return end === chunk.length ? chunk : chunk.subarray(0, end);
  }

  private forwardRequestBody(chunk: Buffer): void {
    const part = this.takeRequestBody(chunk);
    if (part === undefined) return;
    const socket = this.origin?.socket;
    if (socket && part.length > 0 && !socket.write(part)) this.pauseClient(PAUSE_ORIGIN_FULL);
    if (this.originArmed) this.originTimer.refresh(); // progress: the origin timeout counts from the last byte sent
    if (this.reqFramer.done && this.resPhase === RES_DONE) this.exchangeDone();
  }

  /** Malformed chunked framing from the client. */
  private requestBodyFailed(err: unknown): void {
    const status = isHttpError(err) ? err.status : 400;
    this.report(this.hooks.onRequestError, { request: this.requests, code: isHttpError(err) ? err.code : 'bad_chunk_size', status: this.finalHeadSent ? 0 : status });
    this.closeReason = 'request_error';
    this.releaseOrigin(false);
    if (this.finalHeadSent) {
      this.phase = CLOSING;
      this.client.destroy();
      return;
    }
    this.keepAlive = false;
    const bytes = localResponse(status, true);
    this.responseBytes = bytes.length;
    this.reportResponse(status, true);
    this.finishClientSide(bytes);
  }

  onOriginDrain(): void {
    this.resumeClient(PAUSE_ORIGIN_FULL);
  }

  // ---- response ----

  onOriginData(chunk: Buffer): void {
    this.originBytes += chunk.length;
    if (this.phase === TUNNEL) {
      this.writeClient(chunk);
      return;
    }
    if (this.phase !== EXCHANGE) return;
    if (this.originArmed) this.originTimer.refresh();
    if (this.resPhase === RES_HEAD) {
      this.resHeads.append(chunk);
      this.readResponseHeads();
      return;
    }
    if (this.resPhase === RES_BODY) {
      this.forwardResponseBody(chunk);
      return;
    }
    // bytes after a complete response: the origin is out of step, never reuse it
    this.originTainted = true;
  }

  private readResponseHeads(): void {
    const req = this.req!;
    while (this.resPhase === RES_HEAD && this.phase === EXCHANGE) {
      let res: ResponseHead | undefined;
      try {
        res = this.resHeads.next(req.method === 'HEAD');
      } catch (err) {
        this.originFailed(err, 'bad_response');
        return;
      }
      if (!res) return;
      if (res.status === 101) {
        if (!req.upgrade) {
          this.originFailed(new HttpError('unexpected_switch', 502, '101 to a request that did not ask to upgrade'), 'bad_response');
          return;
        }
        this.startTunnel(res);
        return;
      }
      if (res.status < 200) {
        // interim responses are relayed to HTTP/1.1 clients only (RFC 9110 §15.2)
        if (req.version === 11) {
          const fw = this.resFw;
          fw.close = false;
          fw.keepAliveFor10 = false;
          fw.switching = false;
          this.writeClient(forwardResponseHead(res, fw));
        }
        continue;
      }
      // a final response ends head reading for this exchange (which may be over, and the next
      // request started, by the time startResponseBody returns)
      this.startResponseBody(res);
      return;
    }
  }

  private startResponseBody(res: ResponseHead): void {
    const req = this.req!;
    this.res = res;
    this.tHead = performance.now();
    // the client connection persists only if both ends allow it and the body has a known end; a
    // client that expected 100-continue and got a final status instead will not send its body
    // (RFC 9110 §10.1.1), so that connection closes after the response
    this.keepAlive = this.keepAlive && res.body !== 'close' && !(req.expectContinue && this.reqFramer.bytes === 0 && !this.reqFramer.done);
    const fw = this.resFw;
    fw.close = !this.keepAlive;
    fw.keepAliveFor10 = this.keepAlive && req.version === 10;
    fw.switching = false;
    this.resFramer.reset(res.body, res.contentLength, 'response', this.maxResponseHead);
    // scan what came with the head before sending anything: bad framing is still a clean 502
    const rest = this.resHeads.take();
    let end: number;
    try {
      end = rest.length > 0 ? this.resFramer.scan(rest, 0, rest.length) : this.resFramer.done ? 0 : -1;
    } catch (err) {
      this.originFailed(err, 'bad_response');
      return;
    }
    this.finalHeadSent = true;
    this.resPhase = RES_BODY;
    const body = end === -1 || end === rest.length ? rest : rest.subarray(0, end);
    if (body.length <= MERGE_BODY_BYTES) {
      // head and a small body in one buffer: one TLS record, one write
      this.writeClient(forwardResponseHead(res, fw, body));
    } else {
      this.client.cork();
      this.writeClient(forwardResponseHead(res, fw));
      this.writeClient(body);
      this.client.uncork();
    }
    if (end === -1) return;
    if (end < rest.length) this.originTainted = true;
    this.responseDone();
  }

  private forwardResponseBody(chunk: Buffer): void {
    let end: number;
    try {
      end = this.resFramer.scan(chunk, 0, chunk.length);
    } catch (err) {
      this.originFailed(err, 'bad_response');
      return;
    }
    if (end === -1) {
      this.writeClient(chunk);
      return;
    }
    if (end > 0) this.writeClient(end === chunk.length ? chunk : chunk.subarray(0, end));
    if (end < chunk.length) this.originTainted = true;
    this.responseDone();
  }

  private responseDone(): void {
    this.resPhase = RES_DONE;
    if (this.reqFramer.done) {
      this.exchangeDone();
      return;
    }
    if (!this.keepAlive) {
      // the client was told the connection closes: the rest of its body is not needed
      this.originArmed = false;
      this.releaseOrigin(false);
      this.reportResponse(this.res!.status, false);
      this.finishClientSide(undefined);
    }
    // else: the origin answered before the request body ended (an echo streaming back): keep
    // forwarding it; the origin timer guards an origin that stops reading
  }

  /** Both messages are complete: return the origin connection, report, go on. */
  private exchangeDone(): void {
    this.originArmed = false;
    const res = this.res!;
    const reusable = res.keepAlive && !this.originTainted && this.req!.version === 11;
    this.releaseOrigin(reusable);
    this.reportResponse(res.status, false);
    if (this.originPaused) this.originPaused = false;
    this.finishClientSide(undefined);
    if (this.phase === HEAD) this.nextRequest();
  }

  onOriginEnd(): void {
    if (this.phase === TUNNEL) {
      this.client.end();
      return;
    }
    if (this.phase === EXCHANGE && this.resPhase === RES_BODY && this.resFramer.endOfInput()) {
      // a close-delimited body ends here (RFC 9112 §6.3 ¶8)
      this.originTainted = true;
      this.responseDone();
    }
    // otherwise 'close' follows and reports the failure
  }

  onOriginClose(error: Error | undefined): void {
    const conn = this.origin;
    this.origin = undefined;
    if (this.phase === TUNNEL) {
      if (error) this.client.destroy();
      else this.client.end();
      return;
    }
    if (this.phase !== EXCHANGE || !conn) return;
    if (this.resPhase === RES_DONE) {
      // the response was complete; the request body can no longer be delivered
      this.originArmed = false;
      this.closeReason = 'origin_error';
      this.keepAlive = false;
      this.reportResponse(this.res!.status, false);
      this.phase = CLOSING;
      this.client.destroy();
      return;
    }
    const lease = this.lease;
    const req = this.req!;
    // a reused connection the origin closed just before our request: retry once, if that is safe
    // (RFC 9110 §9.2.2: idempotent, nothing received, no body to replay)
    if (lease?.reused && this.originBytes === 0 && !this.retried && req.body === NO_REQUEST_BODY && IDEMPOTENT.has(req.method)) {
      this.retried = true;
      this.originArmed = false;
      this.phase = BINDING;
      this.bind(true);
      return;
    }
    this.originFailed(error, error ? 'origin_reset' : 'origin_closed', conn);
  }

  // ---- tunnel (101 Switching Protocols) ----

  private startTunnel(res: ResponseHead): void {
    this.originArmed = false;
    this.phase = TUNNEL;
    this.res = res;
    this.tHead = performance.now();
    this.finalHeadSent = true;
    const rest = this.resHeads.take();
    this.client.cork();
    this.writeClient(forwardResponseHead(res, { close: false, keepAliveFor10: false, switching: true, via: this.via }));
    if (rest.length > 0) this.writeClient(rest);
    this.client.uncork();
    // bytes the client sent after its upgrade request belong to the new protocol
    const early = this.pending.take();
    if (early.length > 0) {
      this.requestBytes += early.length;
      this.origin!.socket.write(early);
    }
    this.resumeClient(PAUSE_PIPELINE_FULL);
  }

  // ---- failures and timers ----

  /**
   * The origin side failed. Before the final response head: answer 502/503/504 and keep the
   * client connection if the request was fully read. After it: close the client connection
   * (a second status line is never sent).
   */
  private originFailed(err: unknown, code: OriginFailure | undefined, conn = this.origin): void {
    const failure = failureOf(err, code);
    const status = statusFor(failure);
    const detail = failureDetail(err);
    const lease = this.lease;
    this.originArmed = false;
    this.report(this.hooks.onOriginError, {
      request: this.requests,
      ruleIndex: this.rule?.index ?? -1,
      code: failure,
      status: this.finalHeadSent ? 0 : status,
      originConnectionId: conn?.id ?? lease?.connection.id,
      poolKey: lease?.poolKey,
      detail,
    });
    this.releaseOrigin(false);
    if (this.finalHeadSent) {
      this.closeReason = 'origin_error';
      this.keepAlive = false;
      this.reportResponse(this.res?.status ?? status, false);
      this.phase = CLOSING;
      this.client.destroy();
      return;
    }
    // the rest of an unread request body cannot be skipped reliably: close after answering
    if (!this.reqFramer.done) {
      this.keepAlive = false;
      this.closeReason = 'origin_error';
    }
    const bytes = localResponse(status, !this.keepAlive, this.req?.method === 'HEAD');
    this.responseBytes += bytes.length;
    this.reportResponse(status, true);
    this.finishClientSide(bytes);
    if (this.phase === HEAD) this.nextRequest();
  }

  private releaseOrigin(reusable: boolean): void {
    const conn = this.origin;
    if (!conn) return;
    this.origin = undefined;
    if (this.originPaused) {
      this.originPaused = false;
      conn.socket.resume();
    }
    this.pools.release(conn, reusable);
  }

  private armIdle(): void {
    if (this.idleArmed || this.phase !== HEAD) return;
    this.idleArmed = true;
    this.idleTimer.start(this.requests === 0 ? this.firstHeadWithinMs : this.idleTimeoutMs);
  }

  /** No complete request head within idleTimeoutMs of the previous exchange (or the connection start). */
  private onIdleTimeout(): void {
    if (!this.idleArmed) return;
    this.idleArmed = false;
    if (this.phase === CLOSING) {
      this.client.destroy(); // we ended our side long ago; the client never closed its own
      return;
    }
    if (this.phase !== HEAD) return;
    if (this.pending.length > 0) {
      // a partial head that never completed (slowloris): 408 and close (RFC 9110 §15.5.9)
      this.requests++;
      this.report(this.hooks.onRequestError, { request: this.requests, code: 'head_timeout', status: 408 });
      this.closeReason = 'request_error';
      this.closeClient(localResponse(408, true));
      return;
    }
    this.closeReason = 'idle_timeout';
    this.closeClient(undefined);
  }

  private armOrigin(ms: number): void {
    this.originArmed = true;
    this.originTimer.start(ms);
  }

  /** No response head (or no progress either way) within timeouts.response. */
  private onOriginTimeout(): void {
    if (!this.originArmed || this.phase !== EXCHANGE) return;
    if (this.originPaused) {
      // we stopped reading the origin because the client reads slowly: not the origin's stall
      this.originTimer.refresh();
      return;
    }
    if (!this.reqFramer.done && (this.clientPause & PAUSE_ORIGIN_FULL) === 0 && this.resPhase === RES_HEAD) {
      // the client stopped sending its body half way; the origin is waiting for it
      this.originArmed = false;
      this.report(this.hooks.onRequestError, { request: this.requests, code: 'body_timeout', status: 408 });
      this.closeReason = 'request_error';
      this.releaseOrigin(false);
      this.keepAlive = false;
      const bytes = localResponse(408, true);
      this.responseBytes += bytes.length;
      this.reportResponse(408, true);
      this.finishClientSide(bytes);
      return;
    }
    this.originFailed(undefined, 'response_timeout');
  }

  // ---- reporting ----

  private reportResponse(status: number, local: boolean): void {
    const onResponse = this.hooks.onResponse;
    if (!onResponse) return;
    const now = performance.now();
    const info: ResponseInfo = {
      request: this.requests,
      method: this.req?.method ?? '',
      status,
      local,
      requestBytes: this.requestBytes,
      responseBytes: this.responseBytes,
      originConnectionId: this.lease?.connection.id,
      startedAt: this.startedAt,
      responseHeadMs: this.tHead < 0 ? -1 : this.tHead - this.t0,
      totalMs: now - this.t0,
      upgraded: this.phase === TUNNEL || (this.phase === CLOSED && this.res?.status === 101),
      keepAlive: this.keepAlive && this.phase !== CLOSING && this.phase !== CLOSED,
    };
    this.report(onResponse, info);
  }

  /** Calls a hook; a throwing hook must not break the connection it reports on. */
  private report<T>(hook: ((info: T) => void) | undefined, info: T): void {
    if (!hook) return;
    try {
      hook.call(this.hooks, info);
    } catch {
      // hooks are the host's responsibility; the request path carries on
    }
  }
}
