// Heads as forwarded by the proxy (RFC 9110 §7.6): hop-by-hop fields removed (Connection and the
// fields it names, Keep-Alive, Proxy-Connection, TE, Upgrade unless upgrading), framing fields
// re-emitted in one canonical form so the next hop cannot read the framing differently, forwarding
// fields added. Kept field lines are copied as raw byte ranges into one buffer; nothing is decoded.
import type { OriginRule } from '../../config/model.js';
import { F_KIND, F_LINE, F_LINE_END, F_NAME_END, F_VALUE, F_VALUE_END, FieldKind, STRIDE, type HeadFields } from '../h1/fields.js';
import type { RequestHead } from '../h1/request-head.js';
import type { ResponseHead } from '../h1/response-head.js';

export interface ForwardContext {
  /** Client address as it goes into X-Forwarded-For. */
  clientAddress: string;
  /** `X-Forwarded-Proto` value. */
  proto: string;
  /** Our `Via` entry (RFC 9110 §7.6.3), e.g. `1.1 tlsedge`. */
  via: string;
  /** Field lines the proxy adds to every request of the connection (`Name: value\r\n`…), e.g. X-Client-Cert-*. */
  extra?: string;
}

/** Field kinds never copied from a request: hop-by-hop, or re-emitted by the proxy itself. */
const REQUEST_DROP = kindSet([
  FieldKind.host,
  FieldKind.contentLength,
  FieldKind.transferEncoding,
  FieldKind.connection,
  FieldKind.keepAlive,
  FieldKind.proxyConnection,
  FieldKind.te,
  FieldKind.xForwardedFor,
  FieldKind.xForwardedProto,
  FieldKind.xForwardedHost,
  FieldKind.xClientCert,
]);

/** Field kinds never copied from a response (framing fields are handled per body kind). */
const RESPONSE_DROP = kindSet([FieldKind.connection, FieldKind.keepAlive, FieldKind.proxyConnection, FieldKind.te]);

/** The same, plus framing fields, for responses whose framing is re-emitted. */
const RESPONSE_DROP_REFRAMED = kindSet([FieldKind.connection, FieldKind.keepAlive, FieldKind.proxyConnection, FieldKind.te, FieldKind.contentLength, FieldKind.transferEncoding]);

function kindSet(kinds: number[]): Uint8Array {
  const set = new Uint8Array(16);
  for (const k of kinds) set[k] = 1;
  return set;
}

/** The request head sent to the origin, followed by `tail` (body bytes to send in the same write). */
export function forwardRequestHead(req: RequestHead, rule: OriginRule, ctx: ForwardContext, tail?: Uint8Array): Buffer {
  const buf = req.buf;
  const f = req.fields;
  const host = rule.hostHeader === 'origin' || req.authority === '' ? originAuthority(rule) : req.authority;
  const path = rule.to.basePath === '' ? req.path : req.path === '*' ? rule.to.basePath : rule.to.basePath + req.path;
  const xff = forwardedFor(req, ctx.clientAddress);
  const upgrade = req.upgrade;
  // Upper bound of the output: the head itself plus everything added (all ASCII / latin1)
  const max = req.end - req.start + path.length + host.length + req.authority.length + xff.length + ctx.proto.length + ctx.via.length + f.transferCodings.length + (ctx.extra?.length ?? 0) + 200 + (tail?.length ?? 0);
  const out = Buffer.allocUnsafe(max);
  let o = out.write(req.method, 0, 'latin1');
  out[o++] = 0x20;
  o += out.write(path, o, 'latin1');
  // an HTTP/1.0 client's request stays 1.0, so the origin never answers with chunked it cannot read
  o += out.write(req.version === 11 ? ' HTTP/1.1\r\nHost: ' : ' HTTP/1.0\r\nHost: ', o, 'latin1');
  o += out.write(host, o, 'latin1');
  out[o++] = 0x0d;
  out[o++] = 0x0a;
  o = copyFields(buf, f, out, o, REQUEST_DROP, upgrade ? -1 : FieldKind.upgrade);
  if (req.body === 'chunked') o += out.write(`Transfer-Encoding: ${f.transferCodings}\r\n`, o, 'latin1');
  else if (f.contentLengthCount > 0) o += out.write(`Content-Length: ${req.contentLength}\r\n`, o, 'latin1');
  if (upgrade) o += out.write('Connection: upgrade\r\n', o, 'latin1');
  o += out.write('X-Forwarded-For: ', o, 'latin1');
  o += out.write(xff, o, 'latin1');
  o += out.write('\r\nX-Forwarded-Proto: ', o, 'latin1');
  o += out.write(ctx.proto, o, 'latin1');
  if (req.authority !== '') {
    o += out.write('\r\nX-Forwarded-Host: ', o, 'latin1');
    o += out.write(req.authority, o, 'latin1');
  }
  o += out.write('\r\n', o, 'latin1');
  if (ctx.extra) o += out.write(ctx.extra, o, 'latin1');
  o += out.write('Via: ', o, 'latin1');
  o += out.write(ctx.via, o, 'latin1');
  o += out.write('\r\n\r\n', o, 'latin1');
  if (tail) {
    out.set(tail, o);
    o += tail.length;
  }
  return out.subarray(0, o);
}

export interface ResponseForwarding {
  /** Tell the client the connection closes after this response. */
  close: boolean;
  /** An HTTP/1.0 client asked for keep-alive and gets it (it needs to be told). */
  keepAliveFor10: boolean;
  /** A 101 that switches the connection (keep Upgrade, send Connection: upgrade). */
  switching: boolean;
  via: string;
}

/** The response head sent to the client (always `HTTP/1.1`, the origin's status line and fields), then `tail`. */
export function forwardResponseHead(res: ResponseHead, fw: ResponseForwarding, tail?: Uint8Array): Buffer {
  const buf = res.buf;
  const f = res.fields;
  const max = res.end + f.transferCodings.length + fw.via.length + 120 + (tail?.length ?? 0);
  const out = Buffer.allocUnsafe(max);
  let o = out.write('HTTP/1.1 ', 0, 'latin1');
  // status code and reason phrase as sent, through the CRLF ending the status line
  const firstLine = f.count > 0 ? f.lines[F_LINE]! : res.end - 2;
  o += buf.copy(out, o, res.statusStart, firstLine);
  const interim = res.status < 200;
  // framing fields of a response with a body are re-emitted canonically; on HEAD/304/1xx/204 they
  // only describe a body that is not sent, so they pass through as they are
  const reframe = res.body === 'length' || res.body === 'chunked' || res.body === 'close';
  o = copyFields(buf, f, out, o, reframe ? RESPONSE_DROP_REFRAMED : RESPONSE_DROP, fw.switching ? -1 : FieldKind.upgrade);
  if (reframe) {
    if (f.transferEncodingCount > 0) o += out.write(`Transfer-Encoding: ${f.transferCodings}\r\n`, o, 'latin1');
    else if (res.body === 'length') o += out.write(`Content-Length: ${res.contentLength}\r\n`, o, 'latin1');
  }
  if (!interim || fw.switching) {
    if (fw.switching) o += out.write('Connection: upgrade\r\n', o, 'latin1');
    else if (fw.close) o += out.write('Connection: close\r\n', o, 'latin1');
    else if (fw.keepAliveFor10) o += out.write('Connection: keep-alive\r\n', o, 'latin1');
    o += out.write('Via: ', o, 'latin1');
    o += out.write(fw.via, o, 'latin1');
    o += out.write('\r\n', o, 'latin1');
  }
  out[o++] = 0x0d;
  out[o++] = 0x0a;
  if (tail) {
    out.set(tail, o);
    o += tail.length;
  }
  return out.subarray(0, o);
}

/**
 * Copies field lines not dropped (by kind, by `alsoDrop` kind, or as named in Connection) into
 * `out` at `o`; runs of kept lines are copied as one range. Returns the new offset.
 */
function copyFields(buf: Buffer, f: HeadFields, out: Buffer, o: number, drop: Uint8Array, alsoDrop: number): number {
  const lines = f.lines;
  const named = f.connectionOther;
  let runStart = -1;
  let runEnd = -1;
  for (let n = 0, p = 0; n < f.count; n++, p += STRIDE) {
    const kind = lines[p + F_KIND]!;
    let keep = drop[kind] !== 1 && kind !== alsoDrop;
    if (keep && named !== undefined && kind === FieldKind.other) keep = !named.includes(lowerName(buf, lines[p + F_LINE]!, lines[p + F_NAME_END]!));
    if (keep) {
      if (runStart === -1) runStart = lines[p + F_LINE]!;
      runEnd = lines[p + F_LINE_END]!;
    } else if (runStart !== -1) {
      o += buf.copy(out, o, runStart, runEnd);
      runStart = -1;
    }
  }
  if (runStart !== -1) o += buf.copy(out, o, runStart, runEnd);
  return o;
}

function lowerName(buf: Buffer, s: number, e: number): string {
  return buf.toString('latin1', s, e).toLowerCase();
}

/** Prior X-Forwarded-For values (all lines, in order) with the client address appended. */
function forwardedFor(req: RequestHead, client: string): string {
  const f = req.fields;
  if (f.xForwardedForCount === 0) return client;
  let prior = '';
  for (let n = 0, p = 0; n < f.count; n++, p += STRIDE) {
    if (f.lines[p + F_KIND] !== FieldKind.xForwardedFor) continue;
    const s = f.lines[p + F_VALUE]!;
    const e = f.lines[p + F_VALUE_END]!;
    if (s === e) continue;
    const value = req.buf.toString('latin1', s, e);
    prior = prior === '' ? value : `${prior}, ${value}`;
  }
  return prior === '' ? client : `${prior}, ${client}`;
}

/** The `to` URL's authority for `host_header: origin` (port only when not the scheme default). */
export function originAuthority(rule: OriginRule): string {
  const host = rule.to.host.includes(':') ? `[${rule.to.host}]` : rule.to.host;
  const defaultPort = rule.to.protocol === 'https:' ? 443 : 80;
  return rule.to.port === defaultPort ? host : `${host}:${rule.to.port}`;
}

/** `::ffff:192.0.2.1` → `192.0.2.1`; other addresses unchanged. */
export function clientAddressOf(remote: string): string {
  return remote.startsWith('::ffff:') && remote.includes('.') ? remote.slice(7) : remote;
}
