// One request/response exchange of an HTTP/2 client stream, whatever carries it to the origin:
// timing, byte counts, local answers and reporting shared by the HTTP/1.1 and h2 origin paths.
import { constants, type ServerHttp2Stream } from 'node:http2';
import type { OriginRule } from '../../config/model.js';
import type { OriginPools } from '../../origin/pool.js';
import type { H2OriginPools } from '../../origin/h2-pool.js';
import type { OriginFailure, ResponseInfo } from '../hooks.js';
import { localBody } from '../proxy/local-response.js';
import { boundInfo, failureDetail, failureOf, statusFor, type BindingFacts } from '../proxy/origin-side.js';
import type { H2Hooks, H2OriginBoundInfo } from './hooks.js';
import type { H2ForwardContext, H2Request } from './headers.js';

/** Per client connection: what every exchange on it shares. */
export interface H2Context {
  readonly hooks: H2Hooks;
  readonly h1: OriginPools;
  readonly h2: H2OriginPools | undefined;
  readonly fwd: H2ForwardContext;
  /** Largest response head accepted from an HTTP/1.1 origin. */
  readonly maxResponseHead: number;
  /** Via entry on responses: `1.1 tlsedge` from HTTP/1.1 origins, `2 tlsedge` from h2 ones. */
  readonly viaH1: string;
  readonly viaH2: string;
}

export abstract class Exchange {
  protected finished = false;
  protected requestBytes = 0;
  protected responseBytes = 0;
  protected originConnectionId: string | undefined;
  protected poolKey: string | undefined;
  private readonly startedAt = Date.now();
  private readonly t0 = performance.now();
  private tHead = -1;
  protected timer: NodeJS.Timeout | undefined;

  constructor(
    protected readonly ctx: H2Context,
    protected readonly stream: ServerHttp2Stream,
    protected readonly req: H2Request,
    protected readonly n: number,
    protected readonly rule: OriginRule,
    protected readonly routeSni: string | undefined,
    protected readonly host: string,
  ) {}

  abstract start(): void;

  /** The request is bound to an origin connection (or stream slot) `originConnectionId`. */
  protected reportBound(lease: BindingFacts, originConnectionId: string, address: string, port: number, retry: boolean, protocol: H2OriginBoundInfo['protocol']): void {
    this.report(this.ctx.hooks.onOriginBound, { ...boundInfo(this.n, this.rule.index, lease, originConnectionId, address, port, retry), protocol });
  }

  /** The response head went to the client. */
  protected headSent(): void {
    this.tHead = performance.now();
  }

  /** Sends a response tlsedge generates itself, if the stream can still take one. */
  protected respondLocal(status: number): void {
    const s = this.stream;
    if (s.destroyed || s.headersSent) return;
    const body = this.req.method === 'HEAD' ? '' : localBody(status);
    try {
      s.respond({ ':status': status, 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(localBody(status)) }, { endStream: body === '' });
      if (body !== '') s.end(body);
      this.responseBytes += body.length;
    } catch {
      s.close(constants.NGHTTP2_INTERNAL_ERROR);
    }
  }

  /** The origin side failed: 502/503/504 before the response started, else the stream is reset. */
  protected originFailed(err: unknown, code: OriginFailure | undefined): void {
    if (this.finished) return;
    const failure = failureOf(err, code);
    const status = statusFor(failure);
    const started = this.stream.headersSent;
    this.report(this.ctx.hooks.onOriginError, {
      request: this.n,
      ruleIndex: this.rule.index,
      code: failure,
      status: started ? 0 : status,
      originConnectionId: this.originConnectionId,
      poolKey: this.poolKey,
      detail: failureDetail(err),
    });
    this.releaseOrigin(false);
    if (started) {
      if (!this.stream.destroyed) this.stream.close(constants.NGHTTP2_INTERNAL_ERROR);
      this.finish(0, false);
      return;
    }
    this.respondLocal(status);
    this.finish(status, true);
  }

  /** Gives the origin side back (reusable: clean message boundary on a reusable connection). */
  protected abstract releaseOrigin(reusable: boolean): void;

  /** Reports the exchange, once. */
  protected finish(status: number, local: boolean): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    const onResponse = this.ctx.hooks.onResponse;
    if (!onResponse) return;
    const info: ResponseInfo = {
      request: this.n,
      method: this.req.method,
      status,
      local,
      requestBytes: this.requestBytes,
      responseBytes: this.responseBytes,
      originConnectionId: this.originConnectionId,
      startedAt: this.startedAt,
      responseHeadMs: this.tHead < 0 ? -1 : this.tHead - this.t0,
      totalMs: performance.now() - this.t0,
      upgraded: false,
      keepAlive: true,
    };
    this.report(onResponse, info);
  }

  protected report<T>(hook: ((info: T) => void) | undefined, info: T): void {
    if (!hook) return;
    try {
      hook.call(this.ctx.hooks, info);
    } catch {
      // a throwing hook must not break the stream it reports on
    }
  }

  /** (Re)arms the origin timer: `timeouts.response` without progress fails the exchange. */
  protected arm(onTimeout: () => void): void {
    if (this.timer) this.timer.refresh();
    else this.timer = setTimeout(onTimeout, this.rule.timeouts.responseMs);
  }
}
