// Connection ids: short, unique across processes and restarts, and safe as NATS subject tokens:
// `c<process stamp><counter>` in base36, e.g. `cm3x9qa0k-1f`.
import { randomBytes } from 'node:crypto';

export function connectionIdFactory(): () => string {
  const stamp = (Date.now() % 36 ** 6).toString(36).padStart(6, '0') + randomBytes(2).readUInt16BE(0).toString(36).padStart(3, '0');
  let counter = 0;
  return () => `c${stamp}-${(++counter).toString(36)}`;
}
