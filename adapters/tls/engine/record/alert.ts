// Alert records (RFC 8446 §6): level and description, two bytes.
import { AlertDescription, AlertLevel } from '../../wire/enums.js';
import { TlsError } from '../../wire/errors.js';

export interface Alert {
  readonly level: number;
  readonly description: number;
}

export function encodeAlert(description: number): Uint8Array {
  // RFC 8446 §6: close_notify and user_canceled are warnings; everything else is fatal.
  const level = description === AlertDescription.close_notify || description === AlertDescription.user_canceled ? AlertLevel.warning : AlertLevel.fatal;
  return new Uint8Array([level, description]);
}

export function decodeAlert(content: Uint8Array): Alert {
  if (content.length !== 2) throw new TlsError('decode_error', `alert of ${content.length} bytes`);
  return { level: content[0]!, description: content[1]! };
}
