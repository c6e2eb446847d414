// The offload engine as the proxy runs it (the connection actor's OffloadPort): an OffloadTlsSocket
// per connection with the policy's ServerPolicy, its signer (key file here, or the signer actor over
// the bus), its resumption ports (scoped tickets or the session store), and the engine's outputs
// turned into the facts the connection actor records — never their bytes (sessions, PSKs, keys).
import { X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import type { CertificateConfig, TlsedgeConfig } from '../../adapters/config/model.js';
import { NodeCryptoProvider } from '../../adapters/tls/crypto/node-provider.js';
import type { EngineLimits } from '../../adapters/tls/engine/server/config.js';
import type { EngineOutput } from '../../adapters/tls/engine/server/io.js';
import type { CryptoProvider } from '../../adapters/tls/engine/provider.js';
import { OffloadTlsError } from '../../adapters/tls/offload/errors.js';
import { OffloadTlsSocket } from '../../adapters/tls/offload/socket.js';
import type { Bus } from '../../bus/bus.js';
import { Cancellation } from '../../bus/cancel-signal.js';
import type { ClientCertFacts, ConnectionEventData, HelloFacts } from '../connection/events.js';
import { planEngine, type EnginePlan, type OffloadCallbacks, type OffloadPort } from '../connection/offload.js';
import type { PolicyDecision } from '../connection/policy.js';
import { explainHandshakeFailure } from '../connection/refusals.js';
import type { OffloadResumption } from '../resumption/offload-resumption.js';
import { OffloadPolicies } from './offload-policy.js';
import { OffloadSigners } from './offload-signing.js';

export interface OffloadEngineOptions {
  config: Pick<TlsedgeConfig, 'sni' | 'certificates' | 'signers' | 'limits' | 'session'>;
  /** The bus the signer actor serves on (embedded: the memory bus; distributed: NATS). */
  bus: Bus | undefined;
  /** Ticket keys and session store for offload policies (absent: no resumption). */
  resumption: OffloadResumption | undefined;
  provider?: CryptoProvider;
}

export class OffloadEngine implements OffloadPort {
  readonly policies: OffloadPolicies;
  private readonly signers: OffloadSigners;
  private readonly provider: CryptoProvider;
  private readonly limits: Partial<EngineLimits>;
  private readonly handshakeTimeoutMs: number;
  private readonly certificates: readonly CertificateConfig[];

  constructor(options: OffloadEngineOptions) {
    const { config } = options;
    this.certificates = config.certificates;
    this.policies = new OffloadPolicies(config, options.resumption);
    this.signers = new OffloadSigners({ bus: options.bus, signers: config.signers, handshakeTimeoutMs: config.limits.handshakeTimeoutMs });
    this.provider = options.provider ?? new NodeCryptoProvider();
    // A store slower than lookup_timeout is a miss, never a stall (the socket enforces the deadline).
    this.limits = { sessionLookupMs: config.session.cache.lookupTimeoutMs };
    this.handshakeTimeoutMs = config.limits.handshakeTimeoutMs;
  }

  plan(decision: PolicyDecision, hello: HelloFacts): EnginePlan {
    return planEngine(decision, hello, this.certificates);
  }

  /** Startup checks: every offload certificate and rule is usable (throws OffloadConfigError naming the config path). */
  prepare(): void {
    this.policies.prepare();
  }

  accept(socket: Socket, peeked: Uint8Array, decision: PolicyDecision, hello: HelloFacts, callbacks: OffloadCallbacks): void {
    const policy = this.policies.forDecision(decision);
    const started = performance.now();
    const cancellation = new Cancellation();
    const resumption = policy.resumption?.connection();
    let signerFailure: { signer: string; key: string; scheme: string; code: string } | undefined;
    let settled = false;
    const fail = (data: ConnectionEventData['handshake_failed']): void => {
      if (settled) return;
      settled = true;
      callbacks.failed(data);
    };

    const tls = new OffloadTlsSocket(socket, {
      engine: { provider: this.provider, policy: policy.server, ...(policy.resumption?.tickets ? { tickets: policy.resumption.tickets } : {}), limits: this.limits },
      signer: this.signers.forConnection(policy.holders, { offloaded: callbacks.offloaded, signed: callbacks.signed, failed: (f) => (signerFailure = f) }, cancellation),
      ...(resumption?.sessions ? { sessions: resumption.sessions } : {}),
      initialData: peeked,
      handshakeTimeoutMs: this.handshakeTimeoutMs,
    });
    tls.on('engine', (o: EngineOutput) => {
      // Reported when the alert is sent, before the socket closes: the connection's `closed` comes after.
      if (!settled && (o.type === 'alert_sent' || o.type === 'alert_received')) fail(failureOfAlert(o, signerFailure, hello, decision));
    });
    tls.once('secure', () => {
      settled = true;
      const h = tls.handshake!;
      const data: ConnectionEventData['handshake_completed'] = {
        version: '1.3',
        cipher: h.suite,
        alpn: h.alpn,
        resumed: h.resumed,
        durationMs: Math.round((performance.now() - started) * 1000) / 1000,
        engine: 'offload',
        group: h.group,
        signatureScheme: h.signatureScheme,
        helloRetry: h.helloRetry,
      };
      const clientCert = describeChain(h.clientCertificates);
      if (clientCert) data.clientCert = clientCert;
      if (resumption) {
        const r = resumption.settle(hello, { resumed: h.resumed, ticketKeyName: h.ticketKeyName });
        if (r.miss) data.resumeMiss = r.miss;
        if (r.issuedBy) data.issuedBy = r.issuedBy;
        if (r.resumedElsewhere !== undefined) data.resumedElsewhere = r.resumedElsewhere;
      }
      callbacks.secure(tls, data);
    });
    tls.on('error', (err: Error) => fail(failureOfError(err)));
    tls.once('close', () => {
      // A signature still pending for a connection that is gone: tell the signer to drop it.
      cancellation.cancel();
      fail({ reason: 'client_closed', stage: 'handshake', alert: null, message: 'the connection closed before the handshake completed' });
    });
  }
}

/** The `handshake_failed` facts of an alert that ended an offloaded handshake (sent or received). */
export function failureOfAlert(
  alert: Extract<EngineOutput, { type: 'alert_sent' | 'alert_received' }>,
  signer: { signer: string; key: string; scheme: string; code: string } | undefined,
  hello: HelloFacts,
  decision: Pick<PolicyDecision, 'rule'>,
): ConnectionEventData['handshake_failed'] {
  if (alert.type === 'alert_received') {
    if (alert.name === 'close_notify' || alert.name === 'user_canceled') return { reason: 'client_closed', stage: 'handshake', alert: null, message: `the client gave up the handshake (${alert.name})` };
    return { reason: 'client_alert', stage: 'handshake', alert: null, message: `the client sent alert ${alert.name}` };
  }
  if (signer) {
    // Only the signer's code: its messages may name tokens and slots.
    return {
      reason: signer.code === 'timeout' ? 'signer_timeout' : 'signer_failed',
      stage: 'handshake',
      alert: alert.name,
      message: `signer "${signer.signer}" did not sign with key ${signer.key} (${signer.scheme}): ${signer.code}`,
    };
  }
  const reason = reasonOfAlert(alert.code, alert.reason);
  return { reason, stage: 'handshake', alert: alert.name, message: explainHandshakeFailure(reason, '', hello, decision.rule) || alert.reason };
}

/** The `handshake_failed` facts of a handshake that ended without an alert (timeout, TCP gone). */
export function failureOfError(err: Error): ConnectionEventData['handshake_failed'] {
  if (err instanceof OffloadTlsError && err.code === 'handshake_timeout') return { reason: 'handshake_timeout', stage: 'handshake', alert: null, message: err.message };
  return { reason: 'client_closed', stage: 'handshake', alert: null, message: 'the connection closed before the handshake completed' };
}

/** Reason codes shared with the native engine's classifier, so dashboards need not know the engine. */
function reasonOfAlert(code: string, message: string): string {
  switch (code) {
    case 'certificate_required':
      return 'client_cert_missing';
    case 'unknown_ca':
    case 'bad_certificate':
    case 'certificate_expired':
    case 'unsupported_certificate':
    case 'certificate_unknown':
      return 'client_cert_untrusted';
    case 'handshake_failure':
      if (/cipher suite/.test(message)) return 'no_shared_cipher';
      if (/group/.test(message)) return 'no_shared_group';
      if (/sign a scheme/.test(message)) return 'no_shared_signature_algorithm';
      return code;
    default:
      return code;
  }
}

/** Facts about the client's certificate, which the engine already verified against the rule's CA. */
export function describeChain(chain: readonly Uint8Array[]): ClientCertFacts | undefined {
  const leaf = chain[0];
  if (!leaf) return undefined;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(leaf);
  } catch {
    return undefined;
  }
  return {
    subject: cert.subject.split('\n').join(', '),
    san: cert.subjectAltName ? cert.subjectAltName.split(', ') : [],
    fingerprint: cert.fingerprint256.replace(/:/g, '').toLowerCase(),
    issuer: cert.issuer.split('\n').join(', '),
    authorized: true,
  };
}
