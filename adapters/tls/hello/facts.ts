// The summary facts of a peeked ClientHello: JSON-safe (they go into the `client_hello_received`
// event and policy matching), names instead of code points, and no secrets — tickets appear only
// as their 16-byte key name, which identifies a ticket key, not a session.
import { withOwnJsonText } from '../../../bus/event-json.js';
import { CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme, isGrease, nameOf } from '../wire/enums.js';
import type { ClientHello } from '../wire/client-hello.js';
import { ja4 } from './ja4.js';

export interface HelloFacts {
  /** Lowercased host_name, or null without SNI. */
  sni: string | null;
  /** ALPN names offered, in client order (latin1: one char per byte). */
  alpn: string[];
  /** Highest version offered: '1.3', '1.2', '1.1', '1.0', or a hex code point. */
  maxVersion: string;
  /** Versions from supported_versions (GREASE removed), or the legacy_version alone. */
  versions: string[];
  offersTls13: boolean;
  cipherSuites: string[];
  groups: string[];
  keyShareGroups: string[];
  signatureAlgorithms: string[];
  ja4: string;
  sessionIdLength: number;
  /** TLS 1.2 session_ticket: absent, empty (asks for one) or present with its key name. */
  sessionTicket: { present: boolean; keyName: string | null };
  /** TLS 1.3 PSK identities offered, with each one's first 16 bytes (ticket key name) in hex. */
  pskIdentities: number;
  pskKeyNames: string[];
  earlyData: boolean;
  /** How many TLS records the hello took. */
  records: number;
  /** Length of the ClientHello handshake message. */
  bytes: number;
}

const KEY_NAME_BYTES = 16;

export function helloFacts(hello: ClientHello, records: number): HelloFacts {
  const known = knownShape(hello);
  const shape = known.facts;
  const facts: HelloFacts = {
    sni: hello.serverName ?? null,
    alpn: [...(hello.alpn ?? [])],
    maxVersion: shape.maxVersion,
    versions: shape.versions,
    offersTls13: shape.offersTls13,
    cipherSuites: shape.cipherSuites,
    groups: shape.groups,
    keyShareGroups: shape.keyShareGroups,
    signatureAlgorithms: shape.signatureAlgorithms,
    ja4: shape.ja4,
    sessionIdLength: hello.legacySessionId.length,
    sessionTicket: {
      present: hello.sessionTicket !== undefined && hello.sessionTicket.length > 0,
      keyName: hello.sessionTicket && hello.sessionTicket.length >= KEY_NAME_BYTES ? hex(hello.sessionTicket.subarray(0, KEY_NAME_BYTES)) : null,
    },
    pskIdentities: hello.preSharedKey?.identities.length ?? 0,
    pskKeyNames: (hello.preSharedKey?.identities ?? [])
      .filter((i) => i.identity.length >= KEY_NAME_BYTES)
      .map((i) => hex(i.identity.subarray(0, KEY_NAME_BYTES))),
    earlyData: hello.earlyData,
    records,
    bytes: hello.raw.length,
  };
  return withOwnJsonText(facts, function () {
    return encodeFacts(this, known);
  });
}

/**
 * The facts' JSON text with the shape's part written once per shape (the event log writes every
 * connection's facts). Byte for byte what JSON.stringify gives — unless a shape field was replaced,
 * then it is JSON.stringify.
 */
function encodeFacts(f: HelloFacts, known: KnownShape): string {
  const s = known.facts;
  if (f.maxVersion !== s.maxVersion || f.versions !== s.versions || f.offersTls13 !== s.offersTls13 || f.cipherSuites !== s.cipherSuites || f.groups !== s.groups || f.keyShareGroups !== s.keyShareGroups || f.signatureAlgorithms !== s.signatureAlgorithms || f.ja4 !== s.ja4) {
    return JSON.stringify(f);
  }
  return (
    `{"sni":${JSON.stringify(f.sni)},"alpn":${JSON.stringify(f.alpn)},${known.json},"sessionIdLength":${JSON.stringify(f.sessionIdLength)},` +
    `"sessionTicket":${JSON.stringify(f.sessionTicket)},"pskIdentities":${JSON.stringify(f.pskIdentities)},"pskKeyNames":${JSON.stringify(f.pskKeyNames)},` +
    `"earlyData":${JSON.stringify(f.earlyData)},"records":${JSON.stringify(f.records)},"bytes":${JSON.stringify(f.bytes)}}`
  );
}

/** The facts that depend only on what kind of client this is, not on this connection. */
type ShapeFacts = Pick<HelloFacts, 'maxVersion' | 'versions' | 'offersTls13' | 'cipherSuites' | 'groups' | 'keyShareGroups' | 'signatureAlgorithms' | 'ja4'>;

/** A shape's facts and their JSON text (the members between `alpn` and `sessionIdLength`, no braces). */
interface KnownShape {
  readonly facts: Readonly<ShapeFacts>;
  readonly json: string;
}

// Clients of one kind send the same shape on every connection (GREASE values and Chrome's extension
// order aside), so JA4 and the name lists are computed once per shape: on the accept path they
// cost more than the rest of the ClientHello parse. Bounded: an attacker can vary shapes freely.
const shapes = new Map<string, KnownShape>();
const MAX_SHAPES = 4096;

function knownShape(hello: ClientHello): KnownShape {
  const key = shapeKey(hello);
  let shape = shapes.get(key);
  if (!shape) {
    const facts = computeShape(hello);
    shape = { facts, json: JSON.stringify(facts).slice(1, -1) };
    if (shapes.size >= MAX_SHAPES) shapes.clear();
    shapes.set(key, shape);
  }
  return shape;
}

/**
 * Everything the shape facts depend on, GREASE normalised and extension types sorted (JA4 sorts them
 * too), as one UTF-16 code unit per value: the key is built and hashed on every connection, and
 * decimal text of 60 cipher suites costs several times more than this.
 */
function shapeKey(hello: ClientHello): string {
  key.length = 0;
  key.push(hello.legacyVersion);
  key.list(hello.cipherSuites);
  const countAt = key.length;
  key.push(0);
  for (const e of hello.extensions) if (!isGrease(e.type)) key.push(e.type);
  key.units[countAt] = key.length - countAt - 1;
  key.units.subarray(countAt + 1, key.length).sort();
  key.list(hello.supportedVersions);
  key.list(hello.supportedGroups);
  key.list(hello.keyShares?.map((k) => k.group));
  key.list(hello.signatureAlgorithms);
  // every list is counted, so the first ALPN name can simply follow (its chars, not a concatenation:
  // Map.get would flatten that into a third string)
  const alpn = hello.alpn?.[0];
  if (alpn) for (let i = 0; i < alpn.length; i++) key.push(alpn.charCodeAt(i));
  return key.text();
}

/** A reusable buffer of 16-bit units for shapeKey (one at a time: the accept path is synchronous). */
const key = {
  units: new Uint16Array(512),
  length: 0,
  push(value: number): void {
    if (this.length === this.units.length) {
      const grown = new Uint16Array(this.units.length * 2);
      grown.set(this.units);
      this.units = grown;
    }
    this.units[this.length++] = value;
  },
  /** Count then values; 0xffff (never a count: lists hold at most 32767 values) when absent. */
  list(values: readonly number[] | undefined): void {
    if (!values) return this.push(0xffff);
    this.push(values.length);
    for (const v of values) this.push(isGrease(v) ? 0x0a0a : v);
  },
  text(): string {
    return String.fromCharCode.apply(null, this.units.subarray(0, this.length) as unknown as number[]);
  },
};

function computeShape(hello: ClientHello): Readonly<ShapeFacts> {
  const versions = offeredVersions(hello);
  const max = versions.length ? Math.max(...versions) : hello.legacyVersion;
  // Frozen: every connection of this shape shares these arrays.
  return Object.freeze({
    maxVersion: versionLabel(max),
    versions: Object.freeze(versions.map(versionLabel)) as string[],
    offersTls13: versions.includes(ProtocolVersion.TLS1_3),
    cipherSuites: Object.freeze(hello.cipherSuites.filter((c) => !isGrease(c)).map((c) => nameOf(CipherSuite, c))) as string[],
    groups: Object.freeze((hello.supportedGroups ?? []).filter((g) => !isGrease(g)).map((g) => nameOf(NamedGroup, g))) as string[],
    keyShareGroups: Object.freeze((hello.keyShares ?? []).filter((k) => !isGrease(k.group)).map((k) => nameOf(NamedGroup, k.group))) as string[],
    signatureAlgorithms: Object.freeze((hello.signatureAlgorithms ?? []).filter((s) => !isGrease(s)).map((s) => nameOf(SignatureScheme, s))) as string[],
    ja4: ja4(hello),
  });
}

/** Versions the client offers: supported_versions without GREASE, else legacy_version (RFC 8446 §4.2.1). */
export function offeredVersions(hello: ClientHello): number[] {
  if (hello.supportedVersions) return hello.supportedVersions.filter((v) => !isGrease(v));
  return [hello.legacyVersion];
}

function versionLabel(v: number): string {
  switch (v) {
    case ProtocolVersion.TLS1_3:
      return '1.3';
    case ProtocolVersion.TLS1_2:
      return '1.2';
    case ProtocolVersion.TLS1_1:
      return '1.1';
    case ProtocolVersion.TLS1_0:
      return '1.0';
    case ProtocolVersion.SSL3_0:
      return 'ssl3';
    default:
      return `0x${v.toString(16).padStart(4, '0')}`;
  }
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
}
