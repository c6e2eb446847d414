// Who signs an offloaded handshake's CertificateVerify: a key file in this process (node:crypto,
// RSA on libuv's pool, ECDSA/Ed25519 inline) or the signer actor over the bus (`sign` command, its
// worker pool, possibly another process) — one promise either way, so the engine has one path.
// Each connection gets a signer that reports `handshake_offloaded` and `signature_completed`.
import type { KeyObject } from 'node:crypto';
import type { SignerConfig } from '../../adapters/config/model.js';
import { softwareSigner, type SignRequest, type TranscriptSigner } from '../../adapters/tls/crypto/software-signer.js';
import { SignatureScheme, nameOf } from '../../adapters/tls/wire/enums.js';
import type { Bus } from '../../bus/bus.js';
import type { CancelSignal } from '../../bus/cancel-signal.js';
import { SignerClient } from '../signer/client.js';
import type { KeyHolder } from './offload-policy.js';

/** The signer name events carry for key files signed in the proxy process itself. */
export const LOCAL_SIGNER = 'local';

export interface SigningReport {
  offloaded(data: { signer: string; key: string; scheme: string }): void;
  signed(data: { signer: string; key: string; scheme: string; latencyMs: number }): void;
  /** `code`: the signer's stable error code (`timeout`, `key_not_found`, `signer_unavailable`, …); never its message. */
  failed(data: { signer: string; key: string; scheme: string; code: string }): void;
}

export interface OffloadSignersOptions {
  /** The bus the signer actor serves `sign` on (absent: only key files can be used). */
  bus: Bus | undefined;
  signers: readonly SignerConfig[];
  /** No signature is worth waiting for longer than the handshake may take. */
  handshakeTimeoutMs: number;
}

const DEFAULT_SIGN_DEADLINE_MS = 2_000;

export class OffloadSigners {
  private readonly client: SignerClient | undefined;
  private readonly localKeys = new Map<string, KeyObject>();
  private readonly local: TranscriptSigner;
  private readonly deadlines = new Map<string, number>();

  constructor(private readonly options: OffloadSignersOptions) {
    this.client = options.bus ? new SignerClient(options.bus) : undefined;
    this.local = softwareSigner(this.localKeys);
    for (const s of options.signers) this.deadlines.set(s.name, Math.min(s.timeoutMs, options.handshakeTimeoutMs));
  }

  /**
   * The signer of one connection. `signal` aborts a pending request when the connection goes away
   * (the signer client then tells the signer to drop it).
   */
  forConnection(holders: ReadonlyMap<string, KeyHolder>, report: SigningReport, signal: CancelSignal): TranscriptSigner {
    return (request: SignRequest) => {
      const holder = holders.get(request.keyId);
      const scheme = nameOf(SignatureScheme, request.scheme);
      if (!holder) return Promise.reject(Object.assign(new Error(`no key ${request.keyId}`), { code: 'key_not_found' }));
      const who = holder.kind === 'file' ? { signer: LOCAL_SIGNER, key: holder.label } : { signer: holder.signer, key: holder.ref };
      report.offloaded({ ...who, scheme });
      const started = performance.now();
      return this.sign(holder, request, scheme, signal).then(
        (signature) => {
          report.signed({ ...who, scheme, latencyMs: Math.round((performance.now() - started) * 1000) / 1000 });
          return signature;
        },
        (err: unknown) => {
          report.failed({ ...who, scheme, code: codeOf(err) });
          throw err;
        },
      );
    };
  }

  private sign(holder: KeyHolder, request: SignRequest, scheme: string, signal: CancelSignal): Promise<Uint8Array> {
    if (holder.kind === 'file') {
      if (!this.localKeys.has(request.keyId)) this.localKeys.set(request.keyId, holder.key);
      return this.local(request);
    }
    if (!this.client) return Promise.reject(Object.assign(new Error('no bus to reach signers'), { code: 'signer_unavailable' }));
    const deadlineMs = this.deadlines.get(holder.signer) ?? Math.min(DEFAULT_SIGN_DEADLINE_MS, this.options.handshakeTimeoutMs);
    return this.client.sign({ signer: holder.signer, key: holder.ref, scheme, data: request.content, deadlineMs, signal });
  }
}

function codeOf(err: unknown): string {
  const code = err && typeof err === 'object' && 'code' in err ? (err as { code: unknown }).code : undefined;
  return typeof code === 'string' ? code : 'sign_failed';
}
