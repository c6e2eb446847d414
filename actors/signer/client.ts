// The requesting side of the signer actor (the offload TLS engine, certificate tooling): sends
// `sign` with a deadline, retries another signer process within that deadline when one is busy,
// broken or silent (it died mid-request), and cancels on the signer when the requester goes away.
import { randomBytes } from 'node:crypto';
import { BusError, type Bus } from '../../bus/bus.js';
import type { CancelSignal } from '../../bus/cancel-signal.js';
import type { Json } from '../../bus/envelope.js';
import { SignerError, isRetryable, isSignerErrorCode, type SignerErrorCode } from '../../adapters/signer/errors.js';
import { keyInfoFromJson, type KeyInfo } from '../../adapters/signer/keys.js';
import { CANCEL_SUBJECT, keysListSubject, signSubject, type KeysListReply, type SignCommand, type SignReply } from './commands.js';

export interface SignerClientOptions {
  /**
   * Longest wait for one attempt before trying another signer process (a process that died
   * mid-request never answers). Default: half the remaining deadline, at least 250 ms.
   */
  attemptTimeoutMs?: number;
  /** Attempts per request, all within its deadline. Default 3. */
  maxAttempts?: number;
}

export interface ClientSignRequest {
  signer: string;
  /** Label, `id:<hex>` or RFC 7512 `pkcs11:` URI. */
  key: string;
  /** A TLS SignatureScheme name, e.g. `ecdsa_secp256r1_sha256`. */
  scheme: string;
  /** The content to be signed (RFC 8446 §4.4.3); the signer hashes it. */
  data: Uint8Array;
  /** Total time the caller waits, across attempts. */
  deadlineMs: number;
  /** Aborting fails the request with `cancelled` and tells the signer to drop it. */
  signal?: CancelSignal;
}

export interface ClientSignResult {
  signature: Buffer;
  keyId: string;
  node: string;
  attempts: number;
}

export class SignerClient {
  private readonly prefix = randomBytes(6).toString('hex');
  private counter = 0;

  constructor(
    private readonly bus: Bus,
    private readonly options: SignerClientOptions = {},
  ) {}

  /** The TLS-encoded signature (ECDSA DER, RSA-PSS with salt = hash length, ...). */
  async sign(request: ClientSignRequest): Promise<Uint8Array> {
    return (await this.signDetailed(request)).signature;
  }

  async signDetailed(request: ClientSignRequest): Promise<ClientSignResult> {
    const deadline = performance.now() + request.deadlineMs;
    const maxAttempts = Math.max(1, this.options.maxAttempts ?? 3);
    const data = Buffer.from(request.data.buffer, request.data.byteOffset, request.data.byteLength).toString('base64');
    let last: SignerError | undefined;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const remaining = deadline - performance.now();
      if (remaining < 1) break;
      if (request.signal?.aborted) throw new SignerError('cancelled', 'sign request cancelled');
      const attemptMs = attempt === maxAttempts ? remaining : Math.min(remaining, this.options.attemptTimeoutMs ?? Math.max(250, remaining / 2));
      const requestId = `${this.prefix}-${(++this.counter).toString(36)}`;
      const command: SignCommand = { requestId, signer: request.signer, key: request.key, scheme: request.scheme, data, deadlineMs: Math.floor(attemptMs) };
      try {
        const reply = (await this.bus.request(signSubject(request.signer), command as unknown as Json, {
          timeoutMs: attemptMs,
          ...(request.signal ? { signal: request.signal } : {}),
        })) as unknown as SignReply;
        return { signature: Buffer.from(reply.signature, 'base64'), keyId: reply.keyId, node: reply.node, attempts: attempt };
      } catch (err) {
        last = this.toSignerError(err, request.signer);
        if (last.code === 'cancelled' || last.code === 'timeout') {
          // The signer may still hold it (queued, or a process that is merely slow): let it drop it.
          this.bus.publish(CANCEL_SUBJECT, { requestId });
        }
        if (last.code === 'cancelled') throw last;
        const retry = last.code === 'timeout' || isRetryable(last.code);
        if (!retry) throw last;
      }
    }
    throw last?.code === 'timeout' || !last
      ? new SignerError('timeout', `no signature from signer ${request.signer} within ${request.deadlineMs} ms${last ? ` (${last.message})` : ''}`)
      : last;
  }

  /** The keys a signer holds, as one of its processes reports them. */
  async keys(signer: string, options: { timeoutMs?: number } = {}): Promise<KeyInfo[]> {
    try {
      const reply = (await this.bus.request(keysListSubject(signer), { signer }, { timeoutMs: options.timeoutMs ?? 5000 })) as unknown as KeysListReply;
      return reply.keys.map(keyInfoFromJson);
    } catch (err) {
      throw this.toSignerError(err, signer);
    }
  }

  private toSignerError(err: unknown, signer: string): SignerError {
    if (err instanceof SignerError) return err;
    if (err instanceof BusError) {
      switch (err.code) {
        case 'timeout':
          return new SignerError('timeout', `signer ${signer} did not answer in time`, { cause: err });
        case 'cancelled':
          return new SignerError('cancelled', 'sign request cancelled', { cause: err });
        case 'no_responders':
          return new SignerError('signer_unavailable', `no process serves signer ${signer}`, { cause: err });
        case 'remote_error': {
          const code: SignerErrorCode = isSignerErrorCode(err.remoteCode) ? err.remoteCode : 'internal';
          return new SignerError(code, err.message, { cause: err });
        }
        default:
          return new SignerError('signer_unavailable', `bus ${err.code}: ${err.message}`, { cause: err });
      }
    }
    return new SignerError('internal', (err as Error).message ?? String(err), { cause: err });
  }
}
