// Drives the sans-I/O engine in tests: feeds bytes and inputs, answers sign_transcript with a
// software key at once (unless told to hold), and collects outputs and written bytes.
import { constants, sign, type KeyObject } from 'node:crypto';
import { concatBytes } from '../../../../adapters/tls/engine/bytes.js';
import { createServer, handle } from '../../../../adapters/tls/engine/server/handle.js';
import type { ServerConfig } from '../../../../adapters/tls/engine/server/config.js';
import type { EngineInput, EngineOutput } from '../../../../adapters/tls/engine/server/io.js';
import type { ServerState } from '../../../../adapters/tls/engine/server/state.js';

export function signNow(key: KeyObject, scheme: number, content: Uint8Array): Uint8Array {
  const hashes: Record<number, string | null> = { 0x0403: 'sha256', 0x0503: 'sha384', 0x0603: 'sha512', 0x0804: 'sha256', 0x0805: 'sha384', 0x0806: 'sha512', 0x0807: null };
  const hash = hashes[scheme];
  if (hash === undefined) throw new Error(`signNow: scheme 0x${scheme.toString(16)}`);
  const pss = scheme >= 0x0804 && scheme <= 0x0806;
  if (pss) return new Uint8Array(sign(hash, content, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }));
  if (key.asymmetricKeyType === 'ec') return new Uint8Array(sign(hash, content, { key, dsaEncoding: 'der' }));
  return new Uint8Array(sign(hash, content, key));
}

export class EngineDriver {
  state: ServerState;
  readonly outputs: EngineOutput[] = [];
  private pendingWrites: Uint8Array[] = [];
  /** When true, sign_transcript is left unanswered. */
  holdSignatures = false;

  constructor(
    config: ServerConfig,
    private readonly keys: ReadonlyMap<string, KeyObject>,
  ) {
    this.state = createServer(config);
  }

  input(input: EngineInput): EngineOutput[] {
    const step = handle(this.state, input);
    this.state = step.state;
    const produced = [...step.out];
    for (const o of step.out) {
      this.outputs.push(o);
      if (o.type === 'write') this.pendingWrites.push(o.data);
      if (o.type === 'sign_transcript' && !this.holdSignatures) {
        const key = this.keys.get(o.keyId);
        produced.push(...this.input(key ? { type: 'signature_ready', signature: signNow(key, o.scheme, o.content) } : { type: 'signature_failed', reason: 'unknown key' }));
      }
    }
    return produced;
  }

  feed(bytes: Uint8Array): EngineOutput[] {
    return this.input({ type: 'received', data: bytes });
  }

  /** Bytes written since the last call. */
  written(): Uint8Array {
    const all = concatBytes(this.pendingWrites);
    this.pendingWrites = [];
    return all;
  }

  last<T extends EngineOutput['type']>(type: T): Extract<EngineOutput, { type: T }> | undefined {
    for (let i = this.outputs.length - 1; i >= 0; i--) if (this.outputs[i]!.type === type) return this.outputs[i] as Extract<EngineOutput, { type: T }>;
    return undefined;
  }

  alertSent(): string | undefined {
    return this.last('alert_sent')?.name;
  }
}
