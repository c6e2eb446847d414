// server_name (RFC 6066 §3): the client's host_name, validated and lowercased; the server
// acknowledges it with an empty extension in EncryptedExtensions.
import { TlsError } from '../errors.js';
import { EMPTY, decodeWhole, encodeWith } from './codec.js';

const HOST_NAME = 0;

/** The host_name of a ClientHello server_name extension, or undefined when it carries none. */
export function decodeServerNameClient(data: Uint8Array): string | undefined {
  return decodeWhole(data, 'server_name', (r) => {
    const list = r.sub(2, 'server_name list', 1, 0xffff);
    let name: string | undefined;
    let sawHostName = false;
    while (!list.atEnd) {
      const type = list.u8();
      // Every NameType defined so far is followed by a 16-bit length; unknown types are skipped.
      const value = list.vector(2, 'server_name entry', 1, 0xffff);
      if (type !== HOST_NAME) continue;
      // RFC 6066 §3: "The ServerNameList MUST NOT contain more than one name of the same name_type."
      if (sawHostName) throw new TlsError('illegal_parameter', 'server_name: more than one host_name');
      name = hostNameFromSni(value);
      sawHostName = true;
    }
    return name;
  });
}

/**
 * What real clients send, made usable: an IP literal (RFC 6066 forbids it, but wrk, older Java
 * and some embedded stacks send one) is treated as no SNI, as OpenSSL does; one trailing dot
 * (`example.test.`) is dropped. Anything else must be a valid DNS host name.
 */
export function hostNameFromSni(bytes: Uint8Array): string | undefined {
  if (isIpLiteral(bytes)) return undefined;
  const trimmed = bytes.length > 1 && bytes[bytes.length - 1] === 0x2e && bytes[bytes.length - 2] !== 0x2e ? bytes.subarray(0, bytes.length - 1) : bytes;
  return validateHostName(trimmed);
}

function isIpLiteral(bytes: Uint8Array): boolean {
  let colons = 0;
  let dots = 0;
  let hexLetters = false;
  for (const c of bytes) {
    if (c === 0x3a) colons++;
    else if (c === 0x2e) dots++;
    else if ((c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46)) hexLetters = true;
    else if (c < 0x30 || c > 0x39) return false;
  }
  // IPv6 (two or more colons, hex digits, maybe an embedded IPv4) or dotted-quad IPv4.
  return colons >= 2 || (colons === 0 && !hexLetters && dots === 3);
}

export function encodeServerNameClient(hostName: string): Uint8Array {
  const bytes = asciiBytes(hostName);
  return encodeWith((w) => w.vector(2, (l) => l.u8(HOST_NAME).vector(2, (v) => v.bytes(bytes))));
}

/** EncryptedExtensions acknowledgement: "extension_data field of this extension SHALL be empty" (RFC 6066 §3). */
export function encodeServerNameAck(): Uint8Array {
  return EMPTY;
}

/**
 * A DNS host name as RFC 6066 allows it in SNI: ASCII, no trailing dot, not an IP literal. Labels
 * are 1..63 of [A-Za-z0-9-_] (underscore tolerated: internal names use it), 253 bytes at most.
 * Returns it lowercased, so policy matching never sees two spellings of one name.
 */
export function validateHostName(bytes: Uint8Array): string {
  if (bytes.length === 0 || bytes.length > 253) throw invalid('length');
  let out = '';
  let labelLength = 0;
  let allDigitsOrDots = true;
  for (let i = 0; i < bytes.length; i++) {
    let c = bytes[i]!;
    if (c === 0x2e) {
      if (labelLength === 0) throw invalid('empty label');
      labelLength = 0;
      out += '.';
      continue;
    }
    const digit = c >= 0x30 && c <= 0x39;
    const upper = c >= 0x41 && c <= 0x5a;
    const lower = c >= 0x61 && c <= 0x7a;
    if (!(digit || upper || lower || c === 0x2d || c === 0x5f)) throw invalid('character');
    if (!digit) allDigitsOrDots = false;
    if (upper) c += 0x20;
    if (++labelLength > 63) throw invalid('label length');
    out += String.fromCharCode(c);
  }
  // A trailing dot leaves an empty last label (RFC 6066: "without a trailing dot").
  if (labelLength === 0) throw invalid('trailing dot');
  // RFC 6066 §3: "Literal IPv4 and IPv6 addresses are not permitted"; IPv6 already fails on ':'.
  if (allDigitsOrDots) throw invalid('IP literal');
  return out;
}

function invalid(why: string): TlsError {
  return new TlsError('decode_error', `server_name: not a valid DNS host name (${why})`);
}

function asciiBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}
