// Client certificates in the application layer: the X-Client-Cert-* fields sent to origins
// (`client_cert.forward_headers`), and the explained refusal a client gets when its `sni` rule's
// client-certificate policy turns it away after the handshake (HTTP/1.1 or h2, in its own protocol).
import http2 from 'node:http2';
import type { TLSSocket } from 'node:tls';
import type { ClientCertFacts } from '../connection/events.js';
import type { ClientCertRefusal } from '../connection/client-cert.js';

/** Lowercase field names (HTTP/2 needs lowercase; HTTP/1.1 does not care). */
export const CLIENT_CERT_FIELDS = {
  verified: 'x-client-cert-verified',
  subject: 'x-client-cert-subject',
  san: 'x-client-cert-san',
  fingerprint: 'x-client-cert-fingerprint',
  issuer: 'x-client-cert-issuer',
} as const;

/**
 * The fields an origin gets for this connection's client certificate: `verified` is `SUCCESS` (a
 * certificate verified against the rule's CA) or `NONE` (mode `request`, no certificate). Any
 * X-Client-Cert-* field a client sent itself is removed by the request paths, always.
 */
export function clientCertFields(cert: ClientCertFacts | undefined): Array<[string, string]> {
  if (!cert || !cert.authorized) return [[CLIENT_CERT_FIELDS.verified, 'NONE']];
  return [
    [CLIENT_CERT_FIELDS.verified, 'SUCCESS'],
    [CLIENT_CERT_FIELDS.subject, fieldValue(cert.subject)],
    [CLIENT_CERT_FIELDS.san, fieldValue(cert.san.join(', '))],
    [CLIENT_CERT_FIELDS.fingerprint, cert.fingerprint],
    [CLIENT_CERT_FIELDS.issuer, fieldValue(cert.issuer)],
  ];
}

/** The same fields as HTTP/1.1 field lines. */
export function clientCertFieldLines(fields: ReadonlyArray<readonly [string, string]>): string {
  let out = '';
  for (const [name, value] of fields) out += `${name}: ${value}\r\n`;
  return out;
}

/**
 * A field value any HTTP version carries unchanged: visible ASCII and spaces stay, everything else
 * (UTF-8 in a subject, controls) is percent-encoded, as is `%` itself so decoding is unambiguous.
 */
export function fieldValue(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    if (byte >= 0x20 && byte < 0x7f && byte !== 0x25) out += String.fromCharCode(byte);
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out.trim();
}

/** How long a refused client has to read the explanation before the connection is cut. */
const REFUSAL_GRACE_MS = 5_000;

/**
 * Answers every request on the connection with 403 and the reason, then closes it. The TLS
 * handshake itself completed (node:tls cannot refuse a certificate with an alert after checking it
 * against a CA), so the refusal is said in the client's application protocol.
 */
export function refuseForClientCert(socket: TLSSocket, alpn: string | null, refusal: ClientCertRefusal): void {
  const body = `403 Forbidden: ${refusal.message}\n`;
  const grace = setTimeout(() => socket.destroy(), REFUSAL_GRACE_MS);
  grace.unref();
  socket.once('close', () => clearTimeout(grace));
  socket.on('error', () => undefined);
  if (alpn === 'h2') {
    const session = http2.performServerHandshake(socket, { settings: { maxConcurrentStreams: 4 } });
    session.on('error', () => socket.destroy());
    session.on('stream', (stream) => {
      stream.on('error', () => undefined);
      stream.respond({ ':status': 403, 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      stream.end(body);
      stream.resume();
      session.close(); // GOAWAY: this stream finishes, nothing more is accepted
    });
    return;
  }
  socket.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  // read (and drop) what the client sends, so closing never resets a response it has not read
  socket.resume();
}
