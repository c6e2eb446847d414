// Builds X.509 v3 certificates (RFC 5280 §4.1) with node-forge's ASN.1 encoder; the signature
// comes from a CertificateSigner, so the issuer key may live in a file, a worker, or a token.
import { createHash, createPublicKey, randomBytes } from 'node:crypto';
import { bits, bool, encodeDer, explicit, implicitPrimitive, octets, oid, parseDer, pem, seq, set, smallInteger, time, unsignedInteger, utf8, type Asn1 } from './der.js';
import { algorithmIdentifier, type CertificateSigner } from './signature-algorithms.js';

export interface DistinguishedName {
  commonName: string;
  organization?: string;
}

export interface CertificateTemplate {
  subject: DistinguishedName;
  /** Issuer name; equal to `subject` for a self-signed certificate. */
  issuer: DistinguishedName;
  /** SubjectPublicKeyInfo DER of the certified key. */
  subjectPublicKey: Uint8Array;
  /** SubjectPublicKeyInfo DER of the issuer key, for the authority key identifier. */
  issuerPublicKey: Uint8Array;
  notBefore?: Date;
  notAfter?: Date;
  serial?: Uint8Array;
  /** DNS subjectAltNames (wildcards allowed). */
  dnsNames?: string[];
  ipAddresses?: string[];
  isCa?: boolean;
  /** Extended key usages; default serverAuth for leaves, none for CAs. */
  usages?: Array<'serverAuth' | 'clientAuth'>;
}

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

export function encodeName(name: DistinguishedName): Asn1 {
  const rdns: Asn1[] = [];
  if (name.organization) rdns.push(set([seq([oid(OID.organization), utf8(name.organization)])]));
  rdns.push(set([seq([oid(OID.commonName), utf8(name.commonName)])]));
  return seq(rdns);
}

/** Key identifier: SHA-1 of the subjectPublicKey BIT STRING contents (RFC 5280 §4.2.1.2, method 1). */
export function keyIdentifier(spkiDer: Uint8Array): Buffer {
  const spki = parseDer(spkiDer);
  const bitString = (spki.value as Asn1[])[1]!;
  const keyBits = Buffer.from(bitString.value as string, 'binary').subarray(1);
  return createHash('sha1').update(keyBits).digest();
}

function extension(id: string, critical: boolean, value: Asn1): Asn1 {
  const parts = [oid(id)];
  if (critical) parts.push(bool(true));
  parts.push(octets(encodeDer(value)));
  return seq(parts);
}

function ipBytes(ip: string): Buffer {
  if (ip.includes(':')) {
    const [head, tail] = ip.split('::') as [string, string | undefined];
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
    return Buffer.from(groups.flatMap((g) => { const n = parseInt(g || '0', 16); return [n >> 8, n & 0xff]; }));
  }
  return Buffer.from(ip.split('.').map((p) => parseInt(p, 10)));
}

/** The subjectAltName extension (RFC 5280 §4.2.1.6) for DNS names and IP addresses; undefined when both are empty. */
export function subjectAltNameExtension(dnsNames: readonly string[], ipAddresses: readonly string[] = []): Asn1 | undefined {
  const sans: Asn1[] = [
    ...dnsNames.map((n) => implicitPrimitive(2, n)),
    ...ipAddresses.map((ip) => implicitPrimitive(7, ipBytes(ip).toString('binary'))),
  ];
  return sans.length > 0 ? extension(OID.subjectAltName, false, seq(sans)) : undefined;
}

function extensionsFor(t: CertificateTemplate): Asn1[] {
  const exts: Asn1[] = [];
  exts.push(extension(OID.basicConstraints, true, seq(t.isCa ? [bool(true)] : [])));
  // keyUsage (RFC 5280 §4.2.1.3): CA → keyCertSign|cRLSign; leaf → digitalSignature, plus
  // keyEncipherment for RSA keys (TLS 1.2 RSA key exchange).
  const rsa = createPublicKey({ key: Buffer.from(t.subjectPublicKey), format: 'der', type: 'spki' }).asymmetricKeyType === 'rsa';
  const keyUsage = t.isCa ? bits(Buffer.from([0x06]), 1) : rsa ? bits(Buffer.from([0xa0]), 5) : bits(Buffer.from([0x80]), 7);
  exts.push(extension(OID.keyUsage, true, keyUsage));
  const usages = t.usages ?? (t.isCa ? [] : ['serverAuth']);
  if (usages.length > 0) exts.push(extension(OID.extKeyUsage, false, seq(usages.map((u) => oid(OID[u])))));
  const san = subjectAltNameExtension(t.dnsNames ?? [], t.ipAddresses ?? []);
  if (san) exts.push(san);
  exts.push(extension(OID.subjectKeyIdentifier, false, octets(keyIdentifier(t.subjectPublicKey))));
  exts.push(extension(OID.authorityKeyIdentifier, false, seq([implicitPrimitive(0, keyIdentifier(t.issuerPublicKey).toString('binary'))])));
  return exts;
}

/** The DER TBSCertificate for a template (what the issuer signs). */
export function encodeTbsCertificate(t: CertificateTemplate, signer: Pick<CertificateSigner, 'algorithm'>): Buffer {
  const notBefore = t.notBefore ?? new Date(Date.now() - 60 * 60 * 1000);
  const notAfter = t.notAfter ?? new Date(notBefore.getTime() + 365 * 24 * 60 * 60 * 1000);
  const serial = t.serial ?? randomSerial();
  const tbs = seq([
    explicit(0, smallInteger(2)), // v3
    unsignedInteger(serial),
    algorithmIdentifier(signer.algorithm),
    encodeName(t.issuer),
    seq([time(notBefore), time(notAfter)]),
    encodeName(t.subject),
    parseDer(t.subjectPublicKey),
    explicit(3, seq(extensionsFor(t))),
  ]);
  return encodeDer(tbs);
}

/** A signed certificate as DER and PEM. */
export async function buildCertificate(t: CertificateTemplate, signer: CertificateSigner): Promise<{ der: Buffer; pem: string }> {
  const tbs = encodeTbsCertificate(t, signer);
  const signature = await signer.sign(tbs);
  const cert = seq([parseDer(tbs), algorithmIdentifier(signer.algorithm), bits(signature)]);
  const der = encodeDer(cert);
  return { der, pem: pem('CERTIFICATE', der) };
}

/** 16 random bytes with the top bit clear: a positive serial (RFC 5280 §4.1.2.2, ≤ 20 octets). */
export function randomSerial(): Buffer {
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;
  if (serial[0] === 0) serial[0] = 1;
  return serial;
}
