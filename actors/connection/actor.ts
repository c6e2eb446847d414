// The connection actor: one per accepted TCP connection. It reads the ClientHello off the raw
// socket, selects the policy, hands the socket to the engine (or a tunnel), serves HTTP on the
// established connection, and records each step as an event while driving the shared
// connection statechart with the same facts (the machine decides which facts are legal when).
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { ClientHelloPeeker, type PeekResult } from '../../adapters/tls/hello/peek.js';
import { looksLikeHttp } from '../../adapters/tls/hello/http-sniff.js';
import { AlertDescription, nameOf } from '../../adapters/tls/wire/enums.js';
import type { NativeHandshakeError } from '../../adapters/tls/native/engine.js';
import type { EventStream } from '../../bus/recorder.js';
import { ConnectionChart } from '../../machines/connection/chart.js';
import { connectionEventType, type ClientCertFacts, type ConnectionEventData, type ConnectionFact, type HelloFacts } from './events.js';
import type { ConnectionServices, EstablishedConnection, RequestReporter, ResumptionRoute } from './ports.js';
import { metricsName, policyId, type PolicyDecision } from './policy.js';
import { usesOffload } from './offload.js';
import { clientCertRefusal, describeClientCertificate, type ClientCertRefusal } from './client-cert.js';
import { explainHandshakeFailure, refusesMissingAlpn } from './refusals.js';

const TLS_VERSIONS: Record<string, string> = { TLSv1: '1.0', 'TLSv1.1': '1.1', 'TLSv1.2': '1.2', 'TLSv1.3': '1.3' };

export class ConnectionActor implements RequestReporter {
  readonly id: string;
  /** This connection's place in the shared connection statechart. */
  private readonly chart = new ConnectionChart();
  private readonly events: EventStream;
  private readonly startedAt = performance.now();
  private peeker: ClientHelloPeeker | undefined;
  private helloTimer: NodeJS.Timeout | undefined;
  private hello: HelloFacts | undefined;
  private policy: PolicyDecision | undefined;
  private tls: TLSSocket | undefined;
  /** The resumption route taken (ticket key variant, session-ID lookup), settled after the handshake. */
  private route: ResumptionRoute | undefined;
  private handshakeStartedAt = 0;
  private closeReason: string | undefined;
  /** A TLS 1.2 client of an offload name, served by the native engine with a software certificate. */
  private fallback = false;
  private finished = false;
  private requests = 0;

  constructor(
    private readonly socket: Socket,
    id: string,
    private readonly services: ConnectionServices,
  ) {
    this.id = id;
    this.events = services.recorder.stream(id);
  }

  start(): void {
    const { socket, services } = this;
    services.metrics.opened();
    this.events.emit(connectionEventType('accepted'), {
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
      localAddress: socket.localAddress ?? '',
      localPort: socket.localPort ?? 0,
      node: services.nodeId,
    } satisfies ConnectionEventData['accepted']);
    socket.setNoDelay(true);
    socket.on('error', this.onSocketError);
    socket.once('close', this.onClose);
    this.peeker = new ClientHelloPeeker({ maxBytes: services.limits.maxHelloBytes });
    this.helloTimer = setTimeout(this.onHelloTimeout, services.limits.helloTimeoutMs);
    socket.on('data', this.onHelloData);
  }

  // --- facts: record the event and feed the statechart -------------------------------------

  private fact<F extends Exclude<ConnectionFact, 'accepted'>>(fact: F, data: ConnectionEventData[F], subject?: string | null): void {
    this.events.emit(connectionEventType(fact), data, subject ?? this.hello?.sni ?? undefined);
    this.chart.send(fact, data);
  }

  // --- accept: read the ClientHello ---------------------------------------------------------

  private readonly onHelloData = (chunk: Buffer): void => {
    const result = this.peeker!.feed(chunk);
    if (result.status === 'need_more') return;
    this.socket.removeListener('data', this.onHelloData);
    this.socket.pause();
    clearTimeout(this.helloTimer);
    this.peeker = undefined;
    if (result.status === 'failed') this.refuseHello(result);
    else this.onHello(result);
  };

  private readonly onHelloTimeout = (): void => {
    this.failHello('hello_timeout', null, `no complete ClientHello within ${this.services.limits.helloTimeoutMs} ms`);
  };

  private refuseHello(result: Extract<PeekResult, { status: 'failed' }>): void {
    const { error, consumed } = result;
    if (error.code === 'not_tls') {
      if (looksLikeHttp(consumed)) {
        // A plain-HTTP client on the TLS port: say so in its own protocol, then close.
        const body = 'This port speaks HTTPS (TLS). Use https:// in the URL.\n';
        this.socket.end(`HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
        this.failHello('plain_http', null, 'a plain HTTP request arrived on the TLS port', false);
      } else {
        this.failHello('not_tls', null, 'the first bytes are not a TLS handshake record');
      }
      return;
    }
    this.sendAlert(error.alert);
    this.failHello(error.code, nameOf(AlertDescription, error.alert), error.message);
  }

  private failHello(reason: string, alert: string | null, message: string, destroy = true): void {
    this.closeReason = reason;
    this.fact('handshake_failed', { reason, stage: 'hello', alert, message });
    this.countFailedHandshake();
    if (destroy) this.socket.destroy();
  }

  /** Counts a failed handshake in the metrics, under its configured name (`none` before a policy). */
  private countFailedHandshake(): void {
    this.services.metrics.handshake('failed', 'none', metricsName(this.policy), (performance.now() - this.startedAt) / 1000, null);
  }

  /** A fatal alert as a plaintext record (RFC 8446 §6): content type 21, level 2. */
  private sendAlert(description: number): void {
    if (this.socket.writable) this.socket.end(Buffer.from([21, 3, 3, 0, 2, 2, description]));
  }

  // --- sniSelected: choose the policy -------------------------------------------------------

  private onHello(result: Extract<PeekResult, { status: 'complete' }>): void {
    this.hello = result.facts;
    this.fact('client_hello_received', result.facts);
    const policy = this.services.policies.select(result.facts.sni);
    this.policy = policy;
    this.fact('policy_selected', policy.facts);
    if (policy.rule.tunnel) {
      this.openTunnel(result.consumed, policy.rule.tunnel);
      return;
    }
    if (refusesMissingAlpn(policy.rule, result.facts)) {
      // decided from the hello: node:tls would complete the handshake and speak HTTP/1.1
      this.sendAlert(AlertDescription.no_application_protocol);
      this.fail('policy', 'no_application_protocol', 'no_application_protocol', explainHandshakeFailure('no_application_protocol', '', result.facts, policy.rule));
      return;
    }
    if (!policy.certificate) {
      this.sendAlert(AlertDescription.unrecognized_name);
      this.fail('policy', 'no_certificate', 'unrecognized_name', `no certificate for ${result.facts.sni ?? '(no SNI)'} and no default certificate`);
      return;
    }
    this.handshakeStartedAt = performance.now();
    // Offload names speak TLS 1.3; a TLS 1.2-only client falls back to a software certificate or is refused (offload.ts).
    const plan = this.services.offload ? this.services.offload.plan(policy, result.facts) : usesOffload(policy) ? undefined : ({ engine: 'native', certificate: policy.certificate, fallback: false } as const);
    if (plan?.engine === 'offload') return this.startOffload(result, policy);
    if (plan?.engine === 'refuse') {
      this.sendAlert(AlertDescription.protocol_version);
      this.fail('policy', plan.reason, 'protocol_version', plan.message);
      return;
    }
    try {
      if (!plan) throw new Error(`${policy.facts.match}: the offload engine is not running in this process`);
      this.fallback = plan.fallback;
      const nativePolicy = { id: plan.fallback ? policyId(policy.rule, plan.certificate) : policy.facts.policyId, rule: policy.rule, certificate: plan.certificate };
      // The hello was parsed first, so a presented ticket's key name can pick the server holding its key.
      this.route = this.services.resumption?.route(nativePolicy, result.facts, result.hello.legacySessionId);
      this.services.native.accept(this.socket, result.consumed, nativePolicy, this.handshakeCallbacks, this.route?.variant, this.route);
    } catch (err) {
      this.sendAlert(AlertDescription.internal_error);
      this.fail('policy', 'engine_unavailable', 'internal_error', (err as Error).message);
    }
  }

  // --- handshakeOffloaded: the offload engine, its signer and resumption ports ----------------

  private startOffload(result: Extract<PeekResult, { status: 'complete' }>, policy: PolicyDecision): void {
    try {
      this.services.offload!.accept(this.socket, result.consumed, policy, result.facts, {
        offloaded: (data) => this.fact('handshake_offloaded', data),
        signed: (data) => this.fact('signature_completed', data),
        secure: (tls, data) => {
          tls.on('error', this.onSocketError);
          this.fact('handshake_completed', data);
          this.services.metrics.handshake('completed', data.version, metricsName(policy), data.durationMs / 1000, data.resumed);
          const established: EstablishedConnection = { id: this.id, remoteAddress: this.socket.remoteAddress ?? '', remotePort: this.socket.remotePort ?? 0, sni: this.hello?.sni ?? null, alpn: data.alpn, tlsVersion: data.version, policy, ...(data.clientCert ? { clientCert: data.clientCert } : {}) };
          this.services.app.serve(tls, established, this);
        },
        failed: (data) => {
          this.closeReason = data.reason;
          this.fact('handshake_failed', data);
          this.countFailedHandshake();
          // No destroy: the engine closes the socket itself once its alert is written.
        },
      });
    } catch (err) {
      this.sendAlert(AlertDescription.internal_error);
      this.fail('policy', 'engine_unavailable', 'internal_error', (err as Error).message);
    }
  }

  private fail(stage: ConnectionEventData['handshake_failed']['stage'], reason: string, alert: string | null, message: string): void {
    this.closeReason = reason;
    this.fact('handshake_failed', { reason, stage, alert, message });
    this.countFailedHandshake();
    this.socket.destroy();
  }

  // --- handshaking → established -----------------------------------------------------------

  private readonly handshakeCallbacks = {
    secure: (tls: TLSSocket): void => this.onSecure(tls),
    failed: (error: NativeHandshakeError, tls: TLSSocket | undefined): void => {
      this.closeReason = error.code;
      this.fact('handshake_failed', { reason: error.code, stage: 'handshake', alert: error.alert, message: explainHandshakeFailure(error.code, error.message, this.hello, this.policy?.rule) });
      this.countFailedHandshake();
      (tls ?? this.socket).destroy();
    },
  };

  private onSecure(tls: TLSSocket): void {
    this.tls = tls;
    const version = TLS_VERSIONS[tls.getProtocol() ?? ''] ?? String(tls.getProtocol());
    const alpn = tls.alpnProtocol || null;
    const resumed = tls.isSessionReused() ? (version === '1.3' || this.hello?.sessionTicket.present ? 'ticket' : 'session_id') : null;
    const durationMs = round(performance.now() - this.handshakeStartedAt);
    let clientCert: ClientCertFacts | undefined;
    if (this.policy!.rule.clientCert.mode !== 'none') {
      clientCert = describeClientCertificate(tls);
      const refusal = clientCertRefusal(this.policy!.rule, clientCert);
      if (refusal) {
        this.refuseClientCert(tls, refusal, alpn);
        return;
      }
    }
    const data: ConnectionEventData['handshake_completed'] = { version, cipher: tls.getCipher()?.standardName ?? 'unknown', alpn: typeof alpn === 'string' ? alpn : null, resumed, durationMs };
    if (clientCert) data.clientCert = clientCert;
    if (this.fallback) Object.assign(data, { engine: 'native', fallback: 'tls12_software_certificate' } as const);
    if (this.route) {
      const r = this.services.resumption!.settle(this.route, { reused: resumed !== null, version, mechanism: resumed });
      this.route = undefined;
      if (r.miss) data.resumeMiss = r.miss;
      if (r.issuedBy) data.issuedBy = r.issuedBy;
      if (r.resumedElsewhere !== undefined) data.resumedElsewhere = r.resumedElsewhere;
    }
    this.fact('handshake_completed', data);
    this.services.metrics.handshake('completed', version, metricsName(this.policy), durationMs / 1000, resumed);
    tls.on('error', this.onSocketError);
    const established: EstablishedConnection = {
      id: this.id,
      remoteAddress: this.socket.remoteAddress ?? '',
      remotePort: this.socket.remotePort ?? 0,
      sni: this.hello?.sni ?? null,
      alpn: data.alpn,
      tlsVersion: version,
      policy: this.policy!,
      ...(clientCert ? { clientCert } : {}),
    };
    this.services.app.serve(tls, established, this);
  }

  /** The handshake completed but the rule's client_cert policy refuses the client: say why, then close. */
  private refuseClientCert(tls: TLSSocket, refusal: ClientCertRefusal, alpn: string | false | null): void {
    this.tls = tls;
    this.closeReason = refusal.reason;
    this.fact('handshake_failed', { reason: refusal.reason, stage: 'handshake', alert: null, message: refusal.message });
    this.countFailedHandshake();
    tls.on('error', this.onSocketError);
    if (this.services.app.refuse) this.services.app.refuse(tls, typeof alpn === 'string' ? alpn : null, refusal);
    else tls.destroy();
  }

  // --- tunneling ------------------------------------------------------------------------------

  private openTunnel(peeked: Uint8Array, backend: { host: string; port: number }): void {
    this.services.tunnels.open(this.socket, peeked, backend, {
      opened: () => this.fact('tunnel_opened', { backend: `${backend.host}:${backend.port}` }),
      failed: (reason, message) => this.fail('policy', reason, null, message),
    });
  }

  // --- established ⇄ originBound (RequestReporter) ------------------------------------------

  originBound(data: ConnectionEventData['origin_bound']): void {
    this.requests++;
    this.fact('origin_bound', data);
  }

  requestCompleted(data: ConnectionEventData['request_completed']): void {
    this.fact('request_completed', data);
  }

  requestRefused(data: ConnectionEventData['request_refused']): void {
    this.requests++;
    this.fact('request_refused', data);
  }

  originFailed(data: ConnectionEventData['origin_failed']): void {
    this.fact('origin_failed', data);
  }

  // --- closed -----------------------------------------------------------------------------------

  /** Ends the connection from the server side (shutdown). */
  shutdown(): void {
    this.closeReason ??= 'server_shutdown';
    (this.tls ?? this.socket).destroy();
  }

  private readonly onSocketError = (err: Error & { code?: string }): void => {
    this.closeReason ??= err.code ? `error_${err.code.toLowerCase()}` : 'error';
  };

  private readonly onClose = (): void => {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.helloTimer);
    this.services.native.forget(this.socket);
    if (this.route) this.services.resumption?.forget(this.route);
    const state = this.chart.state;
    if (state === 'accept' && !this.closeReason) {
      // Closed before a complete hello: a handshake failure too (scanners, probes, aborted clients).
      this.closeReason = 'client_closed';
      this.fact('handshake_failed', { reason: 'client_closed', stage: 'hello', alert: null, message: 'the client closed before sending a complete ClientHello' });
      this.countFailedHandshake();
    }
    this.fact('closed', {
      reason: this.closeReason ?? 'client_closed',
      durationMs: round(performance.now() - this.startedAt),
      requests: this.requests,
      bytesIn: this.socket.bytesRead,
      bytesOut: this.socket.bytesWritten,
      state,
    });
    this.services.metrics.closed();
  };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
