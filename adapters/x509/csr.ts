// PKCS#10 certification requests (RFC 2986 §4) with node-forge's ASN.1 encoder: subject, public
// key and a subjectAltName extensionRequest (RFC 2985 §5.4.2), signed by a CertificateSigner, so
// the key can stay in a token.
import { encodeName, subjectAltNameExtension, type DistinguishedName } from './certificate.js';
import { bits, encodeDer, oid, parseDer, pem, seq, set, smallInteger, type Asn1 } from './der.js';
import { algorithmIdentifier, type CertificateSigner } from './signature-algorithms.js';
import forge from 'node-forge';

const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';

export interface CsrTemplate {
  subject: DistinguishedName;
  /** SubjectPublicKeyInfo DER of the key the request is for. */
  subjectPublicKey: Uint8Array;
  dnsNames?: string[];
  ipAddresses?: string[];
}

/** The DER CertificationRequestInfo (what the key signs). */
export function encodeCertificationRequestInfo(t: CsrTemplate): Buffer {
  const attributes: Asn1[] = [];
  const san = subjectAltNameExtension(t.dnsNames ?? [], t.ipAddresses ?? []);
  if (san) attributes.push(seq([oid(EXTENSION_REQUEST), set([seq([san])])]));
  // attributes [0] IMPLICIT SET OF Attribute: a constructed context tag 0 holding the attributes.
  const attrs = forge.asn1.create(forge.asn1.Class.CONTEXT_SPECIFIC, 0, true, attributes);
  return encodeDer(seq([smallInteger(0), encodeName(t.subject), parseDer(t.subjectPublicKey), attrs]));
}

/** A signed CSR as DER and PEM (`-----BEGIN CERTIFICATE REQUEST-----`). */
export async function buildCsr(t: CsrTemplate, signer: CertificateSigner): Promise<{ der: Buffer; pem: string }> {
  const info = encodeCertificationRequestInfo(t);
  const signature = await signer.sign(info);
  const der = encodeDer(seq([parseDer(info), algorithmIdentifier(signer.algorithm), bits(signature)]));
  return { der, pem: pem('CERTIFICATE REQUEST', der) };
}

