// Header sections across protocol versions for an HTTP/2 client (RFC 9113 §8.2–§8.3, RFC 9110
// §7.6): an h2 request becomes an HTTP/1.1 head or an h2 header block for the origin, and an
// HTTP/1.1 or h2 response becomes the client's h2 header block. Hop-by-hop and connection-specific
// fields are dropped, forwarding fields are set by tlsedge (a client does not choose them), and
// client-certificate fields are only ever the ones tlsedge derived from the TLS handshake.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import type { OriginRule } from '../../config/model.js';
import { F_KIND, F_LINE, F_NAME_END, F_VALUE, F_VALUE_END, FieldKind, STRIDE } from '../h1/fields.js';
import type { ResponseHead } from '../h1/response-head.js';
import { originAuthority } from '../proxy/rewrite.js';

/** What the proxy adds to every request of one client connection. */
export interface H2ForwardContext {
  /** Client address for X-Forwarded-For. */
  clientAddress: string;
  /** `X-Forwarded-Proto`. */
  proto: string;
  /** Our Via entry for requests (received over HTTP/2: `2 tlsedge`). */
  via: string;
  /** Fields tlsedge sets from the client's certificate (`client_cert.forward_headers`), lowercase names. */
  clientCertFields: ReadonlyArray<readonly [string, string]>;
}

/** Request fields never forwarded as received. */
const REQUEST_DROP = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'content-length',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'http2-settings',
]);

/** Prefix of the client-certificate fields tlsedge sets; a client's own are always removed. */
export const CLIENT_CERT_FIELD_PREFIX = 'x-client-cert';

/** The request as the h2 client sent it (pseudo-header fields resolved). */
export interface H2Request {
  method: string;
  /** Path and query (`:path`). */
  path: string;
  /** `:authority`, else the Host field, as sent. */
  authority: string;
  headers: IncomingHttpHeaders;
}

/** Request body framing towards an HTTP/1.1 origin. */
export type H1Framing = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' };

/** The HTTP/1.1 request head for an h2 request (RFC 9113 §8.3.1: Host from :authority; cookies rejoined). */
export function h1RequestHead(req: H2Request, rule: OriginRule, ctx: H2ForwardContext, framing: H1Framing): Buffer {
  const host = rule.hostHeader === 'origin' || req.authority === '' ? originAuthority(rule) : req.authority;
  const path = targetPath(rule, req.path);
  let head = `${req.method} ${path} HTTP/1.1\r\nHost: ${host}\r\n`;
  let xff = '';
  const headers = req.headers;
  for (const name in headers) {
    if (name.charCodeAt(0) === 0x3a /* : */) continue;
    const value = headers[name];
    if (value === undefined) continue;
    if (REQUEST_DROP.has(name) || name.startsWith(CLIENT_CERT_FIELD_PREFIX)) {
      if (name === 'x-forwarded-for') xff = joinValue(value, ', ');
      continue;
    }
    // RFC 9113 §8.2.3: cookie crumbs are joined with "; " for HTTP/1.1 (Node already joined them)
    if (Array.isArray(value)) for (const v of value) head += `${name}: ${v}\r\n`;
    else head += `${name}: ${value}\r\n`;
  }
  if (framing.kind === 'length') head += `Content-Length: ${framing.length}\r\n`;
  else if (framing.kind === 'chunked') head += 'Transfer-Encoding: chunked\r\n';
  head += `X-Forwarded-For: ${xff === '' ? ctx.clientAddress : `${xff}, ${ctx.clientAddress}`}\r\nX-Forwarded-Proto: ${ctx.proto}\r\n`;
  if (req.authority !== '') head += `X-Forwarded-Host: ${req.authority}\r\n`;
  for (const [name, value] of ctx.clientCertFields) head += `${name}: ${value}\r\n`;
  head += `Via: ${ctx.via}\r\n\r\n`;
  return Buffer.from(head, 'latin1');
}

/** The h2 header block for the same request to an h2 origin. */
export function h2RequestHeaders(req: H2Request, rule: OriginRule, ctx: H2ForwardContext): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {
    ':method': req.method,
    ':scheme': rule.to.protocol === 'https:' ? 'https' : 'http',
    ':authority': rule.hostHeader === 'origin' || req.authority === '' ? originAuthority(rule) : req.authority,
    ':path': targetPath(rule, req.path),
  };
  let xff = '';
  const headers = req.headers;
  for (const name in headers) {
    if (name.charCodeAt(0) === 0x3a) continue;
    const value = headers[name];
    if (value === undefined) continue;
    if (name === 'content-length') {
      out[name] = joinValue(value, ', ');
      continue;
    }
    if (name === 'te') {
      // RFC 9113 §8.2.2: TE may only carry "trailers" (gRPC needs it end to end)
      if (joinValue(value, ',').toLowerCase().split(',').some((v) => v.trim() === 'trailers')) out.te = 'trailers';
      continue;
    }
    if (REQUEST_DROP.has(name) || name.startsWith(CLIENT_CERT_FIELD_PREFIX)) {
      if (name === 'x-forwarded-for') xff = joinValue(value, ', ');
      continue;
    }
    out[name] = value;
  }
  out['x-forwarded-for'] = xff === '' ? ctx.clientAddress : `${xff}, ${ctx.clientAddress}`;
  out['x-forwarded-proto'] = ctx.proto;
  if (req.authority !== '') out['x-forwarded-host'] = req.authority;
  for (const [name, value] of ctx.clientCertFields) out[name] = value;
  out.via = ctx.via;
  return out;
}

/** Response field kinds that never reach an h2 client (connection-specific, RFC 9113 §8.2.2). */
const RESPONSE_DROP = new Uint8Array(16);
for (const k of [FieldKind.connection, FieldKind.keepAlive, FieldKind.proxyConnection, FieldKind.te, FieldKind.upgrade, FieldKind.transferEncoding]) RESPONSE_DROP[k] = 1;

/** The h2 response header block for an HTTP/1.1 origin's response head. */
export function h2ResponseFromH1(res: ResponseHead, via: string): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { ':status': res.status };
  const f = res.fields;
  const buf = res.buf;
  const named = f.connectionOther;
  // a length-delimited body keeps its length; a chunked or close-delimited one has none in h2
  // (END_STREAM ends it); HEAD and 304 keep the length of the body they describe
  const keepLength = res.body === 'length' || res.body === 'none';
  let viaPrior = '';
  for (let n = 0, p = 0; n < f.count; n++, p += STRIDE) {
    const kind = f.lines[p + F_KIND]!;
    if (RESPONSE_DROP[kind] === 1) continue;
    if (kind === FieldKind.contentLength && !keepLength) continue;
    const name = buf.toString('latin1', f.lines[p + F_LINE]!, f.lines[p + F_NAME_END]!).toLowerCase();
    if (named !== undefined && kind === FieldKind.other && named.includes(name)) continue;
    const value = buf.toString('latin1', f.lines[p + F_VALUE]!, f.lines[p + F_VALUE_END]!);
    if (kind === FieldKind.via) {
      viaPrior = viaPrior === '' ? value : `${viaPrior}, ${value}`;
      continue;
    }
    if (kind === FieldKind.contentLength) {
      // the parsed value: `5, 5` (identical repeats, accepted by the parser) is not a valid h2 value
      if (f.contentLength >= 0 && res.status !== 204 && res.status >= 200) out['content-length'] = String(f.contentLength);
      continue;
    }
    const prior = out[name];
    if (prior === undefined) out[name] = value;
    else if (name === 'set-cookie') out[name] = Array.isArray(prior) ? [...prior, value] : [String(prior), value];
    else out[name] = `${String(prior)}, ${value}`;
  }
  out.via = viaPrior === '' ? via : `${viaPrior}, ${via}`;
  return out;
}

/** The h2 response header block for an h2 origin's response. */
export function h2ResponseFromH2(headers: IncomingHttpHeaders, via: string): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (name === 'connection' || name === 'keep-alive' || name === 'proxy-connection' || name === 'transfer-encoding' || name === 'upgrade') continue;
    out[name] = value;
  }
  out[':status'] = headers[':status'] ?? 502;
  const prior = headers.via;
  out.via = prior === undefined ? via : `${joinValue(prior, ', ')}, ${via}`;
  return out;
}

/** Trailer fields as an h2 header block, minus what may not appear in trailers (RFC 9110 §6.5.1). */
export function h2Trailers(fields: Iterable<readonly [string, string]>): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of fields) {
    if (name.charCodeAt(0) === 0x3a || REQUEST_DROP.has(name)) continue;
    const prior = out[name];
    out[name] = prior === undefined ? value : `${String(prior)}, ${value}`;
  }
  return out;
}

function targetPath(rule: OriginRule, path: string): string {
  if (rule.to.basePath === '') return path;
  return path === '*' ? rule.to.basePath : rule.to.basePath + path;
}

function joinValue(value: string | string[], sep: string): string {
  return Array.isArray(value) ? value.join(sep) : value;
}

/** Host without port or IPv6 brackets, lowercased (`[::1]:8443` → `::1`). */
export function hostOf(authority: string): string {
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    return (close < 0 ? authority.slice(1) : authority.slice(1, close)).toLowerCase();
  }
  const colon = authority.lastIndexOf(':');
  return (colon < 0 ? authority : authority.slice(0, colon)).toLowerCase();
}
