// The process environment a PKCS#11 module reads, and the PIN. Modules read SOFTHSM2_CONF or
// TPM2_PKCS11_* once, at their first C_Initialize, from the real process environment (not a
// worker's copy): apply them before any pool starts. The PIN is read here and never logged.
import { readFileSync } from 'node:fs';
import { SignerError } from './errors.js';

/** Copies each signer's `env` into process.env (workers share it). Conflicting values are an error. */
export function applySignerEnv(signers: ReadonlyArray<{ name: string; env: Record<string, string> }>): void {
  const setBy = new Map<string, string>();
  for (const signer of signers) {
    for (const [key, value] of Object.entries(signer.env)) {
      const previous = setBy.get(key);
      if (previous !== undefined && process.env[key] !== value) {
        throw new SignerError('bad_request', `signers ${previous} and ${signer.name} need different values of ${key}; one process can hold only one (run them as separate signer processes)`);
      }
      process.env[key] = value;
      setBy.set(key, signer.name);
    }
  }
}

/** The PIN from `pinEnv` or `pinFile` (first line); undefined when neither is configured. */
export function resolvePin(config: { name: string; pinEnv?: string; pinFile?: string }): string | undefined {
  if (config.pinEnv !== undefined) {
    const pin = process.env[config.pinEnv];
    if (pin === undefined || pin === '') throw new SignerError('pin_missing', `signer ${config.name}: environment variable ${config.pinEnv} (pin_env) is not set`);
    return pin;
  }
  if (config.pinFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(config.pinFile, 'utf8');
    } catch (err) {
      throw new SignerError('pin_missing', `signer ${config.name}: cannot read pin_file ${config.pinFile}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    const pin = text.split(/\r?\n/)[0] ?? '';
    if (pin === '') throw new SignerError('pin_missing', `signer ${config.name}: pin_file ${config.pinFile} is empty`);
    return pin;
  }
  return undefined;
}
