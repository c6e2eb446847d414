// The signer actor: opens every configured signer and serves `sign` and `keys.list` for each in
// queue group `signer` (several processes share the load), honours `cancel`, records
// `tlsedge.signer.*` events, and reports health and metrics. Embedded and NATS mode alike.
import type { SignerConfig } from '../../adapters/config/model.js';
import { applySignerEnv } from '../../adapters/signer/env.js';
import { SignerError, type SignerErrorCode } from '../../adapters/signer/errors.js';
import { keyInfoToJson } from '../../adapters/signer/keys.js';
import { createSigner, type Signer } from '../../adapters/signer/signer.js';
import type { BackendStatus } from '../../adapters/signer/backend.js';
import { counter, gauge, histogram, latencyBuckets } from '../../adapters/metrics/registry.js';
import type { Json } from '../../bus/envelope.js';
import { EventRecorder, type EventStream } from '../../bus/recorder.js';
import type { Subscription } from '../../bus/bus.js';
import { Cancellation } from '../../bus/cancel-signal.js';
import type { HealthReport } from '../system/health.js';
import type { ActorRuntime, RunningActor } from '../system/runtime.js';
import {
  CANCEL_SUBJECT,
  SIGNER_QUEUE,
  keysListSubject,
  parseCancelCommand,
  parseKeysListCommand,
  parseSignCommand,
  signSubject,
  type KeysListReply,
  type SignReply,
} from './commands.js';
import { signerEventType, type SignerEventData } from './events.js';

export interface RunningSignerActor extends RunningActor {
  /** The signers this process serves, by name (a signer that failed to be created is absent). */
  readonly signers: ReadonlyMap<string, Signer>;
}

export interface SignerActorOptions {
  /** Signers to serve (default: every signer in the config). */
  signers?: SignerConfig[];
}

interface Served {
  name: string;
  signer: Signer | undefined;
  /** Why the signer could not be created (pin missing, no module ...): every request gets it. */
  createError: SignerError | undefined;
  stream: EventStream;
  /** This signer's children of the depth gauges, looked up once. */
  depthGauges?: { queued: { set(value: number): void }; running: { set(value: number): void } };
}

export async function startSignerActor(runtime: ActorRuntime, options: SignerActorOptions = {}): Promise<RunningSignerActor> {
  const configs = options.signers ?? runtime.config.signers;
  const log = runtime.log.child('signer');
  // Module environment must be in the real process environment before any worker initialises it.
  applySignerEnv(configs);
  const recorder = new EventRecorder(runtime.events, runtime.nodeId, 'signer');
  const metrics = signerMetrics(runtime);
  const served = new Map<string, Served>();
  const signers = new Map<string, Signer>();
  const inflight = new Map<string, Cancellation>();
  const subscriptions: Subscription[] = [];
  const unhealth: Array<() => void> = [];
  let pending = 0;
  let drained: (() => void) | undefined;

  for (const config of configs) {
    const entry: Served = { name: config.name, signer: undefined, createError: undefined, stream: recorder.stream(`signer-${config.name}`) };
    served.set(config.name, entry);
    try {
      entry.signer = await createSigner(config);
      signers.set(config.name, entry.signer);
    } catch (err) {
      entry.createError = err instanceof SignerError ? err : new SignerError('internal', (err as Error).message);
      log.error('signer cannot be created', { signer: config.name, code: entry.createError.code, error: entry.createError.message });
    }
    unhealth.push(runtime.health.register(`signer:${config.name}`, () => healthOf(entry)));
  }

  // Start every signer (token open + key list) in parallel; failures retry in the background.
  await Promise.all(
    [...served.values()].map(async (entry) => {
      const signer = entry.signer;
      if (!signer) return;
      signer.onStatus((status) => onStatusChange(entry, status));
      await signer.start();
      const status = signer.status();
      if (status.state === 'ready') {
        entry.stream.emit(signerEventType('token_ready'), { signer: entry.name, keys: status.keys, reinits: status.reinits } satisfies SignerEventData['token_ready']);
        log.info('signer ready', { signer: entry.name, kind: signer.kind, keys: status.keys });
      } else {
        onStatusChange(entry, status);
      }
    }),
  );

  function onStatusChange(entry: Served, status: BackendStatus): void {
    if (status.state === 'unavailable' || status.state === 'failed') {
      const data: SignerEventData['token_unavailable'] = { signer: entry.name, state: status.state, reason: status.lastError?.code ?? 'unknown', message: status.lastError?.message ?? status.state };
      entry.stream.emit(signerEventType('token_unavailable'), data);
      log.warn('signer token unavailable', { signer: entry.name, state: status.state, code: data.reason, error: data.message });
    } else if (status.state === 'ready') {
      const s = entry.signer?.status();
      entry.stream.emit(signerEventType('token_ready'), { signer: entry.name, keys: s?.keys ?? 0, reinits: status.reinits } satisfies SignerEventData['token_ready']);
      log.info('signer token ready again', { signer: entry.name, reinits: status.reinits });
    }
  }

  async function handleSign(entry: Served, data: Json): Promise<Json> {
    const t0 = performance.now();
    let requestId = '';
    let key = '';
    let scheme = '';
    pending++;
    const cancellation = new Cancellation();
    try {
      const cmd = parseSignCommand(data);
      requestId = cmd.requestId;
      key = cmd.key;
      scheme = cmd.scheme;
      if (cmd.signer !== entry.name) throw new SignerError('bad_request', `sign command for signer ${cmd.signer} arrived on ${entry.name}'s subject`);
      if (!entry.signer) throw entry.createError ?? new SignerError('signer_unavailable', `signer ${entry.name} is not available`);
      inflight.set(requestId, cancellation);
      const result = await entry.signer.sign({ key: cmd.key, scheme: cmd.scheme, data: Buffer.from(cmd.data, 'base64'), deadlineMs: cmd.deadlineMs, signal: cancellation });
      const latencyMs = performance.now() - t0;
      metrics.latency.labels(entry.name, result.key.label, result.scheme).observe(latencyMs / 1000);
      const signed: SignerEventData['signed'] = { requestId, signer: entry.name, keyId: result.key.id, key: result.key.label, scheme: result.scheme, latencyMs: round(latencyMs), queuedMs: round(result.queuedMs), signMs: round(result.signMs) };
      entry.stream.emit(signerEventType('signed'), signed, result.key.id);
      const reply: SignReply = { signature: result.signature.toString('base64'), keyId: result.key.id, node: runtime.nodeId, queuedMs: signed.queuedMs, signMs: signed.signMs };
      return reply as unknown as Json;
    } catch (err) {
      const error = err instanceof SignerError ? err : new SignerError('internal', (err as Error).message);
      metrics.failures.labels(entry.name, error.code).inc();
      const failed: SignerEventData['failed'] = { requestId, signer: entry.name, key: key.slice(0, 256), scheme: scheme.slice(0, 64), reason: error.code, message: error.message, latencyMs: round(performance.now() - t0) };
      entry.stream.emit(signerEventType('failed'), failed);
      throw error;
    } finally {
      if (inflight.get(requestId) === cancellation) inflight.delete(requestId);
      updateDepth(entry);
      if (--pending === 0) drained?.();
    }
  }

  async function handleKeysList(entry: Served, data: Json): Promise<Json> {
    const cmd = parseKeysListCommand(data);
    if (cmd.signer !== entry.name) throw new SignerError('bad_request', `keys.list for signer ${cmd.signer} arrived on ${entry.name}'s subject`);
    if (!entry.signer) throw entry.createError ?? new SignerError('signer_unavailable', `signer ${entry.name} is not available`);
    const keys = await entry.signer.keys();
    const reply: KeysListReply = { signer: entry.name, node: runtime.nodeId, keys: keys.map(keyInfoToJson) };
    return reply as unknown as Json;
  }

  /** After every sign request: reads the scheduler's counters, nothing allocated (the status copy was). */
  function updateDepth(entry: Served): void {
    const depth = entry.signer?.depth;
    entry.depthGauges ??= { queued: metrics.queued.labels(entry.name), running: metrics.running.labels(entry.name) };
    entry.depthGauges.queued.set(depth?.queued ?? 0);
    entry.depthGauges.running.set(depth?.running ?? 0);
  }

  for (const entry of served.values()) {
    subscriptions.push(
      runtime.bus.serve(signSubject(entry.name), (data) => {
        const reply = handleSign(entry, data);
        updateDepth(entry);
        return reply;
      }, { queue: SIGNER_QUEUE }),
      runtime.bus.serve(keysListSubject(entry.name), (data) => handleKeysList(entry, data), { queue: SIGNER_QUEUE }),
    );
  }
  // Cancellation reaches every signer process: only the one holding the request acts on it.
  subscriptions.push(
    runtime.bus.subscribe(CANCEL_SUBJECT, (msg) => {
      const cmd = parseCancelCommand(msg.data);
      if (cmd) inflight.get(cmd.requestId)?.cancel();
    }),
  );
  log.info('signer actor serving', { signers: [...served.keys()].join(','), transport: runtime.bus.transport });

  return {
    name: 'signer',
    signers,
    async stop() {
      // Stop taking requests (the queue group sends new ones to other processes), let running
      // ones finish within their deadlines, then close the pools.
      for (const s of subscriptions.splice(0)) s.unsubscribe();
      if (pending > 0) await new Promise<void>((resolve) => (drained = resolve));
      for (const off of unhealth.splice(0)) off();
      await Promise.all([...signers.values()].map((s) => s.close()));
      log.info('signer actor stopped');
    },
  };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function healthOf(entry: Served): HealthReport {
  if (!entry.signer) {
    return { ok: false, detail: `signer ${entry.name} cannot start: ${entry.createError?.message ?? 'unknown error'}`, facts: { state: 'failed', lastError: entry.createError?.code ?? null } };
  }
  const s = entry.signer.status();
  const facts = {
    kind: s.kind,
    state: s.state,
    tokenPresent: s.tokenPresent,
    loggedIn: s.loggedIn,
    keys: s.keys,
    queued: s.queued,
    running: s.running,
    reinits: s.reinits,
    lastError: s.lastError ? `${s.lastError.code}: ${s.lastError.message}` : null,
    lastErrorAt: s.lastError?.at ?? null,
  };
  if (s.state === 'ready') return { ok: true, facts };
  const hint: Partial<Record<SignerErrorCode, string>> = {
    bad_pin: 'the token refused the PIN: fix pin_env/pin_file and restart (no retries: tokens lock)',
    pin_missing: 'set the PIN source (pin_env / pin_file)',
    token_absent: 'token not found: is it plugged in / initialised (softhsm2-util --show-slots, tpm2_ptool listtokens)?',
    token_error: 'the token failed: re-opening with backoff (is swtpm/abrmd or /dev/tpmrm0 reachable?)',
    module_error: 'the PKCS#11 module cannot be loaded: check `module:`',
  };
  const code = s.lastError?.code;
  return { ok: false, detail: `signer ${entry.name} is ${s.state}${code ? `: ${hint[code] ?? s.lastError?.message}` : ''}`, facts };
}

function signerMetrics(runtime: ActorRuntime) {
  const r = runtime.metrics;
  return {
    latency: histogram(r, 'tlsedge_signer_sign_seconds', 'Sign request latency (receipt to reply) by signer, key and scheme', ['signer', 'key', 'scheme'] as const, latencyBuckets),
    failures: counter(r, 'tlsedge_signer_failures_total', 'Failed sign requests by signer and reason code', ['signer', 'reason'] as const),
    queued: gauge(r, 'tlsedge_signer_queue_depth', 'Sign requests waiting for a slot', ['signer'] as const),
    running: gauge(r, 'tlsedge_signer_in_flight', 'Sign operations running in the backend', ['signer'] as const),
  };
}
