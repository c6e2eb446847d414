// Errors of the sealing and ticket-key adapters. Messages name files and key ids, never key bytes.
export type CryptoErrorCode = 'bad_fleet_key' | 'fleet_key_unreadable' | 'open_failed' | 'bad_sealed' | 'bad_key_file';

export class CryptoError extends Error {
  override readonly name = 'CryptoError';
  constructor(
    readonly code: CryptoErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
