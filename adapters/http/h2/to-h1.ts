// An h2 client stream proxied over a pooled HTTP/1.1 origin connection (RFC 9113 §8.3 → RFC 9112):
// the request becomes an HTTP/1.1 head with Content-Length or chunked framing, the response head
// an h2 header block, a chunked body plain DATA (trailers kept when the client asked for them).
// The connection goes back to the pool only at a clean message boundary.
import type { OriginConnection, OriginHandler } from '../../origin/connection.js';
import type { AcquireRequest, OriginLease } from '../../origin/pool.js';
import { BodyFramer } from '../h1/body-framer.js';
import { HttpError } from '../h1/errors.js';
import type { ResponseHead } from '../h1/response-head.js';
import { ResponseHeadReader } from '../h1/response-reader.js';
import { IDEMPOTENT } from '../proxy/origin-side.js';
import { ChunkedDecoder } from './chunked.js';
import { Exchange } from './exchange.js';
import { h1RequestHead, h2ResponseFromH1, h2Trailers, type H1Framing } from './headers.js';

const CRLF = Buffer.from('\r\n', 'latin1');
const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');
/** Methods whose empty body is still announced (`Content-Length: 0`): origins may insist (411). */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

const BINDING = 0;
const HEAD = 1;
const BODY = 2;
const DONE = 3;
const CLOSED = 4;

export class H2ToH1Exchange extends Exchange implements OriginHandler {
  private phase = BINDING;
  private framing!: H1Framing;
  private lease: OriginLease | undefined;
  private origin: OriginConnection | undefined;
  private abort: AbortController | undefined;
  private readonly heads = new ResponseHeadReader(this.ctx.maxResponseHead);
  private res: ResponseHead | undefined;
  private readonly framer = new BodyFramer();
  private dechunk: ChunkedDecoder | undefined;
  private requestDone = false;
  private requestSent = 0;
  private tainted = false;
  private originBytes = 0;
  private retried = false;
  private originPaused = false;
  private wantTrailers = false;

  start(): void {
    const { stream, req } = this;
    const length = req.headers['content-length'];
    if (stream.endAfterHeaders) this.framing = BODY_METHODS.has(req.method) ? { kind: 'length', length: 0 } : { kind: 'none' };
    else if (typeof length === 'string' && /^\d{1,15}$/.test(length)) this.framing = { kind: 'length', length: Number(length) };
    else this.framing = { kind: 'chunked' };
    this.requestDone = stream.endAfterHeaders;
    stream.on('close', this.onStreamClose);
    this.bind(false);
  }

  // ---- binding ----

  private bind(fresh: boolean): void {
    const ar: AcquireRequest = { rule: this.rule, host: this.host, sni: this.routeSni, alpn: 'http/1.1', fresh, signal: undefined };
    this.ctx.h1.bind(ar, this.abortSignal, this.onLease, this.onLeaseFailed);
  }

  private readonly abortSignal = (): AbortSignal => (this.abort ??= new AbortController()).signal;
  private readonly onLease = (lease: OriginLease): void => this.bound(lease);
  private readonly onLeaseFailed = (err: unknown): void => {
    if (this.phase === BINDING) this.originFailed(err, undefined);
  };

  private bound(lease: OriginLease): void {
    if (this.phase !== BINDING) {
      this.ctx.h1.release(lease.connection, true); // the client left while we waited: unused, clean
      return;
    }
    const conn = lease.connection;
    this.lease = lease;
    this.origin = conn;
    this.originConnectionId = conn.id;
    this.poolKey = lease.poolKey;
    conn.handler = this;
    this.phase = HEAD;
    this.heads.clear();
    this.reportBound(lease, conn.id, conn.address, conn.port, this.retried, 'http/1.1');
    const head = h1RequestHead(this.req, this.rule, this.ctx.fwd, this.framing);
    conn.socket.write(head);
    this.arm(this.onTimeout);
    // the body flows only now (h2 flow control held the client until an origin was bound); a
    // retry happens only for requests without a body, so listeners are attached once
    if (!this.requestDone) {
      this.stream.on('data', this.onRequestData);
      this.stream.on('end', this.onRequestEnd);
    }
  }

  // ---- request body ----

  private readonly onRequestData = (chunk: Buffer): void => {
    const socket = this.origin?.socket;
    if (!socket || this.phase === DONE || this.phase === CLOSED) return;
    this.requestBytes += chunk.length;
    this.requestSent += chunk.length;
    let ok: boolean;
    if (this.framing.kind === 'chunked') {
      socket.cork();
      socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
      socket.write(chunk);
      ok = socket.write(CRLF);
      socket.uncork();
    } else {
      if (this.framing.kind === 'length' && this.requestSent > this.framing.length) {
        // more DATA than its content-length: malformed (RFC 9113 §8.1.1)
        this.clientMalformed();
        return;
      }
      ok = socket.write(chunk);
    }
    if (!ok) this.stream.pause();
    if (this.timer) this.timer.refresh();
  };

  private readonly onRequestEnd = (): void => {
    if (this.phase === DONE || this.phase === CLOSED || !this.origin) return;
    if (this.framing.kind === 'length' && this.requestSent !== this.framing.length) {
      this.clientMalformed();
      return;
    }
    if (this.framing.kind === 'chunked') this.origin.socket.write(LAST_CHUNK);
    this.requestDone = true;
  };

  private clientMalformed(): void {
    this.report(this.ctx.hooks.onRequestError, { request: this.n, code: 'bad_content_length', status: 400 });
    this.releaseOrigin(false);
    if (this.stream.headersSent) this.stream.close(1 /* PROTOCOL_ERROR */);
    else this.respondLocal(400);
    this.phase = DONE;
    this.finish(400, true);
  }

  onOriginDrain(): void {
    if (this.phase !== CLOSED && !this.requestDone) this.stream.resume();
  }

  // ---- response ----

  onOriginData(chunk: Buffer): void {
    this.originBytes += chunk.length;
    if (this.timer) this.timer.refresh();
    if (this.phase === HEAD) {
      this.heads.append(chunk);
      this.readHeads();
    } else if (this.phase === BODY) {
      this.forwardBody(chunk);
    } else {
      this.tainted = true; // bytes after a complete response: never reuse this connection
    }
  }

  private readHeads(): void {
    while (this.phase === HEAD) {
      let res: ResponseHead | undefined;
      try {
        res = this.heads.next(this.req.method === 'HEAD');
      } catch (err) {
        this.originFailed(err, 'bad_response');
        return;
      }
      if (!res) return;
      if (res.status === 101) {
        this.originFailed(new HttpError('unexpected_switch', 502, '101 on a request that cannot upgrade (HTTP/2 client)'), 'bad_response');
        return;
      }
      if (res.status < 200) {
        // RFC 9110 §15.2: a proxy forwards 1xx it did not ask for (h2: an extra HEADERS frame)
        if (res.status !== 100 || this.framing.kind !== 'none') this.interim(res);
        continue;
      }
      this.startBody(res);
      return;
    }
  }

  private interim(res: ResponseHead): void {
    try {
      const headers = h2ResponseFromH1(res, this.ctx.viaH1);
      delete headers.via;
      this.stream.additionalHeaders(headers);
    } catch {
      // an interim response the client cannot take is dropped, not fatal
    }
  }

  private startBody(res: ResponseHead): void {
    this.res = res;
    const headers = h2ResponseFromH1(res, this.ctx.viaH1);
    const rest = this.heads.take();
    if (res.body === 'none') {
      if (!this.respond(headers, true)) return;
      if (rest.length > 0) this.tainted = true;
      this.responseDone();
      return;
    }
    // trailers travel only to a client that said it wants them (TE: trailers, RFC 9110 §10.1.4)
    this.wantTrailers = res.body === 'chunked' && /\btrailers\b/i.test(String(this.req.headers.te ?? ''));
    if (res.body === 'chunked') (this.dechunk ??= new ChunkedDecoder()).reset();
    else this.framer.reset(res.body, res.contentLength, 'response');
    if (!this.respond(headers, false)) return;
    this.phase = BODY;
    if (rest.length > 0) this.forwardBody(rest);
  }

  private respond(headers: ReturnType<typeof h2ResponseFromH1>, endStream: boolean): boolean {
    const s = this.stream;
    if (s.destroyed) return false;
    try {
      s.respond(headers, { endStream, waitForTrailers: this.wantTrailers });
    } catch (err) {
      this.originFailed(err, 'bad_response');
      return false;
    }
    this.headSent();
    if (this.wantTrailers) s.once('wantTrailers', this.sendTrailers);
    return true;
  }

  private readonly sendTrailers = (): void => {
    try {
      this.stream.sendTrailers(h2Trailers(this.dechunk?.trailers ?? []));
    } catch {
      this.stream.close();
    }
  };

  private forwardBody(chunk: Buffer): void {
    let end: number;
    try {
      end = this.dechunk && this.res!.body === 'chunked' ? this.dechunk.decode(chunk, 0, chunk.length, this.writeClient) : this.scanPlain(chunk);
    } catch (err) {
      this.originFailed(err, 'bad_response');
      return;
    }
    if (end === -1) return;
    if (end < chunk.length) this.tainted = true;
    this.responseDone();
  }

  private scanPlain(chunk: Buffer): number {
    const end = this.framer.scan(chunk, 0, chunk.length);
    const data = end === -1 || end === chunk.length ? chunk : chunk.subarray(0, end);
    if (data.length > 0) this.writeClient(data);
    return end;
  }

  private readonly writeClient = (data: Buffer): void => {
    this.responseBytes += data.length;
    if (!this.stream.write(data) && this.origin && !this.originPaused) {
      this.originPaused = true;
      this.origin.socket.pause();
      this.stream.once('drain', this.onClientDrain);
    }
  };

  private readonly onClientDrain = (): void => {
    if (!this.originPaused) return;
    this.originPaused = false;
    this.origin?.socket.resume();
  };

  private responseDone(): void {
    this.phase = DONE;
    if (!this.stream.destroyed && !this.stream.writableEnded) this.stream.end();
    // reusable only at a message boundary on both sides
    const reusable = !!this.res && this.res.keepAlive && !this.tainted && this.requestDone;
    this.releaseOrigin(reusable);
    // the origin answered before the request body ended: the rest is read and dropped (a reset
    // could overtake the response DATA still queued for the client)
    if (!this.requestDone) this.stream.resume();
    this.finish(this.res!.status, false);
  }

  onOriginEnd(): void {
    if (this.phase === BODY && this.res?.body === 'close' && this.framer.endOfInput()) {
      this.tainted = true;
      this.responseDone();
    }
  }

  onOriginClose(error: Error | undefined): void {
    const conn = this.origin;
    this.origin = undefined;
    if (!conn || this.phase === DONE || this.phase === CLOSED) return;
    // a reused connection the origin closed just before our request: retry once, if that is safe
    if (this.phase === HEAD && this.lease?.reused && this.originBytes === 0 && !this.retried && this.framing.kind === 'none' && IDEMPOTENT.has(this.req.method)) {
      this.retried = true;
      this.phase = BINDING;
      this.bind(true);
      return;
    }
    this.originFailed(error, error ? 'origin_reset' : 'origin_closed');
  }

  private readonly onTimeout = (): void => {
    if (this.phase !== HEAD && this.phase !== BODY) return;
    if (this.originPaused) {
      this.timer!.refresh(); // the client reads slowly: not the origin's stall
      return;
    }
    this.originFailed(undefined, 'response_timeout');
  };

  protected releaseOrigin(reusable: boolean): void {
    const conn = this.origin;
    if (!conn) return;
    this.origin = undefined;
    if (this.originPaused) {
      this.originPaused = false;
      conn.socket.resume();
    }
    this.stream.removeListener('data', this.onRequestData);
    this.ctx.h1.release(conn, reusable);
  }

  protected override originFailed(err: unknown, code: Parameters<Exchange['originFailed']>[1]): void {
    if (this.phase === CLOSED) return;
    this.phase = DONE;
    super.originFailed(err, code);
  }

  /** The client reset or closed the stream. */
  private readonly onStreamClose = (): void => {
    if (this.phase === DONE || this.phase === CLOSED) return;
    this.phase = CLOSED;
    this.abort?.abort();
    this.releaseOrigin(false);
    this.finish(this.res?.status ?? 0, false);
  };
}
