// Reads a certificate's PEM chain and private key from files, once per path, so handshakes never
// touch the disk. Errors name the config path; they never include key bytes.
import { readFileSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import type { CertificateConfig } from '../../config/model.js';

export interface KeyMaterial {
  /** Leaf + chain PEM. */
  cert: string;
  /** Private key PEM (decrypted when it had a passphrase). */
  key: string;
}

export class KeyMaterialError extends Error {
  override readonly name = 'KeyMaterialError';
  constructor(
    readonly code: 'unreadable' | 'bad_key' | 'passphrase_missing' | 'signer_key',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class KeyMaterialStore {
  private readonly cache = new Map<string, KeyMaterial>();

  /** Key material for a file-key certificate; throws KeyMaterialError naming `certificates[i]`. */
  get(cert: CertificateConfig): KeyMaterial {
    const cached = this.cache.get(cert.id);
    if (cached) return cached;
    const where = `certificates[${cert.index}]`;
    if (cert.key.kind !== 'file') {
      throw new KeyMaterialError('signer_key', `${where} (${cert.id}): its key is held by signer "${cert.key.signer}", which only the offload engine can use (set engine: offload on its sni rule)`);
    }
    let chain: string;
    let keyPem: string;
    try {
      chain = readFileSync(cert.cert, 'utf8');
    } catch (err) {
      throw new KeyMaterialError('unreadable', `${where}.cert: cannot read ${cert.cert}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    try {
      keyPem = readFileSync(cert.key.path, 'utf8');
    } catch (err) {
      throw new KeyMaterialError('unreadable', `${where}.key: cannot read ${cert.key.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const envName = cert.key.passphraseEnv;
    const passphrase = envName ? process.env[envName] : undefined;
    if (envName && passphrase === undefined) {
      throw new KeyMaterialError('passphrase_missing', `${where}.key: passphrase_env ${envName} is not set in the environment`);
    }
    let key: string;
    try {
      // Decrypt once here so the TLS layer never needs the passphrase.
      key = createPrivateKey(passphrase === undefined ? keyPem : { key: keyPem, passphrase }).export({ type: 'pkcs8', format: 'pem' }) as string;
    } catch (err) {
      throw new KeyMaterialError('bad_key', `${where}.key: ${cert.key.path} is not a usable private key${passphrase === undefined && /ENCRYPTED/.test(keyPem) ? ' (it is encrypted: set passphrase_env)' : ''}`, { cause: err });
    }
    const material = { cert: chain, key };
    this.cache.set(cert.id, material);
    return material;
  }
}
