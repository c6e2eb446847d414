// Reads PKCS#12 / PFX files (RFC 7292) with node-forge: the private key as PKCS#8 DER and the
// certificates as DER, with the leaf matched to the key by public key. Passwords are never echoed.
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { encodeDer, fromBinary, toBinary } from './der.js';

export type Pkcs12ErrorCode = 'bad_password' | 'malformed' | 'no_key';

export class Pkcs12Error extends Error {
  override readonly name = 'Pkcs12Error';
  constructor(
    readonly code: Pkcs12ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface Pkcs12Entry {
  der: Buffer;
  friendlyName?: string;
  localKeyId?: string;
}

export interface Pkcs12Contents {
  /** Private keys as PKCS#8 PrivateKeyInfo DER. */
  keys: Pkcs12Entry[];
  certificates: Pkcs12Entry[];
}

export interface Pkcs12Identity {
  /** PKCS#8 DER of the (first) private key. */
  pkcs8: Buffer;
  /** The certificate whose public key matches the private key, if the file has one. */
  certificate?: Buffer;
  /** The other certificates (intermediates, CA). */
  chain: Buffer[];
  friendlyName?: string;
}

function entry(der: Buffer, bag: forge.pkcs12.Bag): Pkcs12Entry {
  const out: Pkcs12Entry = { der };
  const name = bag.attributes?.friendlyName?.[0];
  if (typeof name === 'string') out.friendlyName = name;
  const id = bag.attributes?.localKeyId?.[0];
  if (typeof id === 'string') out.localKeyId = fromBinary(id).toString('hex');
  return out;
}

export function readPkcs12(bytes: Uint8Array, password: string): Pkcs12Contents {
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(toBinary(bytes)), password);
  } catch (err) {
    const message = (err as Error).message ?? '';
    if (/MAC could not be verified|Invalid password|decrypt/i.test(message)) {
      throw new Pkcs12Error('bad_password', 'PKCS#12 file: wrong password (the MAC does not verify)');
    }
    throw new Pkcs12Error('malformed', `PKCS#12 file cannot be read: ${message.split('\n')[0]}`);
  }
  const keys: Pkcs12Entry[] = [];
  const certificates: Pkcs12Entry[] = [];
  const oids = forge.pki.oids;
  for (const type of [oids.pkcs8ShroudedKeyBag!, oids.keyBag!]) {
    for (const bag of p12.getBags({ bagType: type })[type] ?? []) {
      // node-forge decodes RSA keys into objects and hands other algorithms back as ASN.1.
      let der: Buffer | undefined;
      if (bag.asn1) der = encodeDer(bag.asn1);
      else if (bag.key) der = fromBinary(forge.asn1.toDer(forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(bag.key as forge.pki.rsa.PrivateKey))).getBytes());
      if (der) keys.push(entry(der, bag));
    }
  }
  const certType = oids.certBag!;
  for (const bag of p12.getBags({ bagType: certType })[certType] ?? []) {
    let der: Buffer | undefined;
    if (bag.asn1) der = unwrapCertBag(bag.asn1);
    else if (bag.cert) der = originalCertificate(bag.cert);
    if (der) certificates.push(entry(der, bag));
  }
  return { keys, certificates };
}

// For certificates node-forge cannot model (EC keys) the bag's ASN.1 is the x509Certificate value,
// or the certificate itself depending on the path through its decoder.
function unwrapCertBag(node: forge.asn1.Asn1): Buffer {
  const der = encodeDer(node);
  if (node.tagClass === forge.asn1.Class.UNIVERSAL && node.type === forge.asn1.Type.OCTETSTRING) return fromBinary(node.value as string);
  return der;
}

/**
 * The certificate's own bytes. node-forge's certificateToAsn1 re-encodes from parsed fields (string
 * types change), so rebuild it from the original TBSCertificate node it keeps: the outer
 * signatureAlgorithm equals the TBS `signature` field (RFC 5280 §4.1.1.2), and the signature is raw.
 */
function originalCertificate(cert: forge.pki.Certificate): Buffer {
  const tbs = (cert as forge.pki.Certificate & { tbsCertificate: forge.asn1.Asn1 }).tbsCertificate;
  const fields = tbs.value as forge.asn1.Asn1[];
  const sigAlg = fields[fields[0]!.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC ? 2 : 1]!;
  const signature = forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.BITSTRING, false, '\x00' + (cert.signature as string));
  return encodeDer(forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SEQUENCE, true, [tbs, sigAlg, signature]));
}

/** The private key, its certificate and the rest of the chain. */
export function readPkcs12Identity(bytes: Uint8Array, password: string): Pkcs12Identity {
  const contents = readPkcs12(bytes, password);
  const key = contents.keys[0];
  if (!key) throw new Pkcs12Error('no_key', 'PKCS#12 file holds no private key');
  const publicDer = createPublicKey(createPrivateKey({ key: key.der, format: 'der', type: 'pkcs8' })).export({ type: 'spki', format: 'der' });
  let certificate: Buffer | undefined;
  const chain: Buffer[] = [];
  for (const cert of contents.certificates) {
    let matches = false;
    try {
      matches = new X509Certificate(cert.der).publicKey.export({ type: 'spki', format: 'der' }).equals(publicDer);
    } catch {
      // not a certificate node:crypto can read: keep it in the chain untouched
    }
    if (matches && !certificate) certificate = cert.der;
    else chain.push(cert.der);
  }
  const out: Pkcs12Identity = { pkcs8: key.der, chain };
  if (certificate) out.certificate = certificate;
  if (key.friendlyName) out.friendlyName = key.friendlyName;
  return out;
}
