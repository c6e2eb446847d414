// A CertificateSigner over a node:crypto private key held in this process (files, demo CA).
import { sign as cryptoSign, type KeyObject } from 'node:crypto';
import { defaultAlgorithmFor, digestOf, type CertificateSigner, type CertSignatureAlgorithm } from './signature-algorithms.js';

export function keyObjectSigner(key: KeyObject, algorithm?: CertSignatureAlgorithm): CertificateSigner {
  const alg = algorithm ?? defaultAlgorithmFor(key.asymmetricKeyType ?? '', key.asymmetricKeyDetails?.namedCurve);
  const digest = digestOf(alg);
  return {
    algorithm: alg,
    sign: (tbs) =>
      new Promise((resolve, reject) => {
        // ECDSA from node:crypto is DER-encoded by default, which is what X.509 wants.
        cryptoSign(digest, tbs, key, (err, sig) => (err ? reject(err) : resolve(sig)));
      }),
  };
}
