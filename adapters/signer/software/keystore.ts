// Loads software keys: PEM (PKCS#8, PKCS#1, SEC1, encrypted PKCS#8), DER PKCS#8, and PKCS#12
// files. A PEM file may carry the certificate after the key. Passphrases come from env vars only.
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { pemBlocks } from '../../x509/der.js';
import { readPkcs12Identity, Pkcs12Error } from '../../x509/pkcs12.js';
import { SignerError } from '../errors.js';
import { derivedKeyId, keyAlgorithmOf, schemesForAlgorithm, spkiOf, type KeyInfo } from '../keys.js';

export interface SoftwareKeyConfig {
  label: string;
  file: string;
  passphraseEnv?: string;
}

export interface LoadedKey {
  info: KeyInfo;
  privateKey: KeyObject;
}

export function loadSoftwareKey(signer: string, config: SoftwareKeyConfig): LoadedKey {
  const passphrase = config.passphraseEnv !== undefined ? process.env[config.passphraseEnv] : undefined;
  if (config.passphraseEnv !== undefined && passphrase === undefined) {
    throw new SignerError('pin_missing', `signer ${signer}, key ${config.label}: environment variable ${config.passphraseEnv} is not set`);
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(config.file);
  } catch (err) {
    throw new SignerError('key_not_found', `signer ${signer}, key ${config.label}: cannot read ${config.file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let privateKey: KeyObject;
  let certificate: Buffer | undefined;
  const ext = extname(config.file).toLowerCase();
  try {
    if (ext === '.p12' || ext === '.pfx') {
      const identity = readPkcs12Identity(bytes, passphrase ?? '');
      privateKey = createPrivateKey({ key: identity.pkcs8, format: 'der', type: 'pkcs8' });
      certificate = identity.certificate;
    } else if (bytes.includes('-----BEGIN')) {
      privateKey = createPrivateKey({ key: bytes, format: 'pem', ...(passphrase !== undefined ? { passphrase } : {}) });
      certificate = pemBlocks(bytes.toString('utf8'), 'CERTIFICATE')[0];
    } else {
      privateKey = createPrivateKey({ key: bytes, format: 'der', type: 'pkcs8', ...(passphrase !== undefined ? { passphrase } : {}) });
    }
  } catch (err) {
    if (err instanceof Pkcs12Error && err.code === 'bad_password') throw new SignerError('bad_pin', `signer ${signer}, key ${config.label}: ${err.message}`);
    // node:crypto's messages name the format problem, never the key bytes.
    throw new SignerError('bad_request', `signer ${signer}, key ${config.label}: ${config.file} is not a usable private key (${(err as Error).message})`);
  }
  const publicKey = createPublicKey(privateKey);
  const algorithm = keyAlgorithmOf(publicKey);
  if (!algorithm) throw new SignerError('unsupported_scheme', `signer ${signer}, key ${config.label}: key type ${publicKey.asymmetricKeyType} is not supported`);
  const spki = spkiOf(publicKey);
  if (certificate) {
    try {
      if (!spkiOf(new X509Certificate(certificate).publicKey).equals(spki)) certificate = undefined;
    } catch {
      certificate = undefined;
    }
  }
  const info: KeyInfo = { id: derivedKeyId(spki), label: config.label, algorithm, schemes: schemesForAlgorithm(algorithm), spki };
  if (certificate) info.certificate = certificate;
  return { info, privateKey };
}
