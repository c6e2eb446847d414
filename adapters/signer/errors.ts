// Signer failures: one named error with a stable `code` that callers branch on, and the tagged
// result that crosses the worker-thread boundary (custom error classes do not survive it).

export const signerErrorCodes = [
  'queue_full', // more requests waiting than `max_queue`: refused at once, never queued
  'timeout', // the request's deadline passed (waiting in the queue or in the token)
  'cancelled', // the requester went away (its AbortSignal fired or it sent `cancel`)
  'token_absent', // no token with that label/slot, or the device was removed
  'token_error', // the token failed a command (e.g. the TPM went away); the signer re-opens it
  'key_not_found', // no private key with that label / id / URI on the signer
  'bad_pin', // the token refused the PIN; the signer does not retry (tokens lock after a few)
  'pin_missing', // pin_env / pin_file is not set or unreadable
  'unsupported_scheme', // the key (or token) cannot sign with that TLS SignatureScheme
  'signer_unavailable', // unknown signer name, signer closed, starting, or recovering
  'bad_request', // malformed command (missing fields, data not base64, ...)
  'module_error', // the PKCS#11 module could not be loaded or initialised
  'internal', // anything else: a bug, reported with its message
] as const;

export type SignerErrorCode = (typeof signerErrorCodes)[number];

export function isSignerErrorCode(value: unknown): value is SignerErrorCode {
  return typeof value === 'string' && (signerErrorCodes as readonly string[]).includes(value);
}

export class SignerError extends Error {
  override readonly name = 'SignerError';
  constructor(
    readonly code: SignerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
  }
}

/** What a worker task returns: a value, or a failure described by code and message only. */
export type TaskResult<T> = { ok: true; value: T } | { ok: false; code: SignerErrorCode; message: string; reinit?: boolean };

export function unwrap<T>(result: TaskResult<T>): T {
  if (result.ok) return result.value;
  throw new SignerError(result.code, result.message);
}

/** Codes worth retrying on another signer process (the request itself was fine). */
export function isRetryable(code: string | undefined): boolean {
  return code === 'queue_full' || code === 'signer_unavailable' || code === 'token_error' || code === 'token_absent';
}
