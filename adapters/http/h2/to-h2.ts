// An h2 client stream proxied as a stream on a pooled HTTP/2 origin session: headers rewritten
// (adapters/http/h2/headers.ts), DATA both ways with backpressure, interim responses and trailers
// relayed, and a stream the origin refused (REFUSED_STREAM, or beyond a GOAWAY) retried once on
// another session when that is safe (RFC 9113 §8.7).
import { constants, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import type { AcquireRequest } from '../../origin/pool.js';
import type { H2Lease } from '../../origin/h2-pool.js';
import { errorCode, isOriginError } from '../../origin/errors.js';
import { IDEMPOTENT } from '../proxy/origin-side.js';
import { Exchange } from './exchange.js';
import { h2RequestHeaders, h2ResponseFromH2, h2Trailers } from './headers.js';
import { H2ToH1Exchange } from './to-h1.js';

const BINDING = 0;
const WAITING = 1; // stream open, no final response yet
const BODY = 2;
const DONE = 3;
const CLOSED = 4;

export class H2ToH2Exchange extends Exchange {
  private phase = BINDING;
  private lease: H2Lease | undefined;
  private os: ClientHttp2Stream | undefined;
  private abort: AbortController | undefined;
  private retried = false;
  private trailers: IncomingHttpHeaders | undefined;
  private wantTrailers = false;
  private status = 0;
  private sentBody = false;

  start(): void {
    this.stream.on('close', this.onStreamClose);
    this.bind(false);
  }

  private bind(fresh: boolean): void {
    const pools = this.ctx.h2!;
    const ar: AcquireRequest = { rule: this.rule, host: this.host, sni: this.routeSni, alpn: 'h2', fresh, signal: (this.abort ??= new AbortController()).signal };
    pools.acquire(ar).then(
      (lease) => this.bound(lease),
      (err: unknown) => {
        if (this.phase !== BINDING) return;
        if (isOriginError(err) && err.code === 'alpn_refused' && this.rule.protocols.includes('http/1.1')) {
          // the rule allows HTTP/1.1 too: this request goes there now, and later ones directly
          // (the pools remember the refusal for a while)
          this.phase = CLOSED;
          this.stream.removeListener('close', this.onStreamClose);
          new H2ToH1Exchange(this.ctx, this.stream, this.req, this.n, this.rule, this.routeSni, this.host).start();
          return;
        }
        this.originFailed(err, undefined);
      },
    );
  }

  private bound(lease: H2Lease): void {
    if (this.phase !== BINDING) {
      lease.cancel();
      return;
    }
    this.lease = lease;
    this.originConnectionId = lease.session.id;
    this.poolKey = lease.poolKey;
    const s = lease.session;
    this.reportBound(lease, s.id, s.target.identity.address, s.target.identity.port, this.retried, 'h2');
    const client = this.stream;
    const endStream = client.endAfterHeaders;
    let os: ClientHttp2Stream;
    try {
      os = lease.open(h2RequestHeaders(this.req, this.rule, this.ctx.fwd), { endStream });
    } catch (err) {
      this.phase = WAITING;
      this.originFailed(err, 'origin_reset');
      return;
    }
    this.os = os;
    this.phase = WAITING;
    os.on('headers', (headers: IncomingHttpHeaders) => {
      // interim responses (1xx) arrive as extra HEADERS before the final one
      const status = Number(headers[':status']);
      if (status >= 100 && status < 200 && status !== 101 && !client.headersSent) {
        try {
          client.additionalHeaders(h2ResponseFromH2(headers, this.ctx.viaH2));
        } catch {
          // dropped, not fatal
        }
      }
    });
    os.on('response', this.onResponse);
    os.on('trailers', (t: IncomingHttpHeaders) => (this.trailers = t));
    os.on('data', this.onOriginData);
    os.on('end', this.onOriginEnd);
    os.on('error', () => undefined); // 'close' carries the outcome
    os.on('close', this.onOriginClose);
    os.on('drain', () => client.resume());
    this.arm(this.onTimeout);
    if (!endStream) {
      client.on('data', this.onRequestData);
      client.on('end', () => {
        if (this.os === os && !os.destroyed) os.end();
      });
    }
  }

  // ---- request body ----

  private readonly onRequestData = (chunk: Buffer): void => {
    const os = this.os;
    if (!os || os.destroyed) return;
    this.requestBytes += chunk.length;
    this.sentBody = true;
    if (!os.write(chunk)) this.stream.pause();
    if (this.timer) this.timer.refresh();
  };

  // ---- response ----

  private readonly onResponse = (headers: IncomingHttpHeaders): void => {
    if (this.phase !== WAITING) return;
    const client = this.stream;
    this.status = Number(headers[':status']) || 502;
    const endStream = this.os!.endAfterHeaders;
    this.wantTrailers = !endStream && /\btrailers\b/i.test(String(this.req.headers.te ?? ''));
    try {
      client.respond(h2ResponseFromH2(headers, this.ctx.viaH2), { endStream, waitForTrailers: this.wantTrailers });
    } catch (err) {
      this.originFailed(err, 'bad_response');
      return;
    }
    this.headSent();
    if (this.wantTrailers) {
      client.once('wantTrailers', () => {
        try {
          client.sendTrailers(h2Trailers(Object.entries(this.trailers ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string')));
        } catch {
          client.close();
        }
      });
    }
    if (endStream) {
      this.phase = DONE;
      this.finish(this.status, false);
      return;
    }
    this.phase = BODY;
  };

  private readonly onOriginData = (chunk: Buffer): void => {
    if (this.phase !== BODY) return;
    if (this.timer) this.timer.refresh();
    this.responseBytes += chunk.length;
    if (!this.stream.write(chunk)) {
      this.os!.pause();
      this.stream.once('drain', () => this.os?.resume());
    }
  };

  private readonly onOriginEnd = (): void => {
    if (this.phase !== BODY) return;
    this.phase = DONE;
    if (!this.stream.destroyed) this.stream.end();
    this.finish(this.status, false);
  };

  private readonly onOriginClose = (): void => {
    const os = this.os;
    if (!os) return;
    if (this.phase === DONE || this.phase === CLOSED) return;
    const refused = os.rstCode === constants.NGHTTP2_REFUSED_STREAM || (this.phase === WAITING && os.rstCode === undefined && this.lease?.session.state !== 'open');
    // RFC 9113 §8.7: a refused stream was not processed; retry once, if the request can be replayed
    if (this.phase === WAITING && refused && !this.retried && !this.sentBody && this.stream.endAfterHeaders && IDEMPOTENT.has(this.req.method)) {
      this.retried = true;
      this.os = undefined;
      this.phase = BINDING;
      this.bind(true);
      return;
    }
    if (this.phase === BODY && os.rstCode === constants.NGHTTP2_NO_ERROR) {
      this.onOriginEnd();
      return;
    }
    this.originFailed(new Error(`origin stream closed (code ${os.rstCode ?? 'none'})`), os.rstCode === undefined ? 'origin_closed' : 'origin_reset');
  };

  private readonly onTimeout = (): void => {
    if (this.phase !== WAITING && this.phase !== BODY) return;
    if (this.os?.isPaused()) {
      this.timer!.refresh();
      return;
    }
    this.originFailed(undefined, 'response_timeout');
  };

  protected releaseOrigin(): void {
    const os = this.os;
    this.os = undefined;
    if (os && !os.destroyed) os.close(constants.NGHTTP2_CANCEL);
    if (!os) this.lease?.cancel();
    this.stream.removeListener('data', this.onRequestData);
  }

  protected override originFailed(err: unknown, code: Parameters<Exchange['originFailed']>[1]): void {
    if (this.phase === CLOSED || this.phase === DONE) return;
    this.phase = DONE;
    super.originFailed(err, code ?? (errorCode(err) === 'ERR_HTTP2_STREAM_ERROR' ? 'origin_reset' : undefined));
  }

  private readonly onStreamClose = (): void => {
    if (this.phase === DONE || this.phase === CLOSED) return;
    this.phase = CLOSED;
    this.abort?.abort();
    this.releaseOrigin();
    this.finish(this.status, false);
  };
}
