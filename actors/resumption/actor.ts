// Resumption on a proxy: applies the fleet's ticket-key block (or a static key file) to the native
// engine — one server variant per live ticket key and policy, keys scoped to the policy — and serves
// session-ID resumption through the session store. It acknowledges every block it applies, which is
// what lets the rotator activate a key only once every live proxy can decrypt under it.
import { constants as cryptoConstants } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type tls from 'node:tls';
import type { TlsedgeConfig } from '../../adapters/config/model.js';
import { loadFleetKey } from '../../adapters/crypto/fleet-key.js';
import { Sealer } from '../../adapters/crypto/seal.js';
import { sessionProtocolVersion } from '../../adapters/crypto/session-record.js';
import { nodeTag, scopedTicketKey, ticketScope } from '../../adapters/crypto/ticket-scope.js';
import type { HelloFacts } from '../../adapters/tls/hello/facts.js';
import type { NativeEngine, ServerFeatures } from '../../adapters/tls/native/engine.js';
import type { NativePolicy } from '../../adapters/tls/native/server-options.js';
import type { Subscription } from '../../bus/bus.js';
import type { Json } from '../../bus/envelope.js';
import { EventRecorder } from '../../bus/recorder.js';
import type { ResumptionFacts, ResumptionPort, ResumptionRoute } from '../connection/ports.js';
import { keyAad, keyRotationSubjects, type KeyAcknowledgement, type KeyBlockMessage } from '../key-rotation/commands.js';
import { sessionEventType, type SessionEventData } from '../session-store/events.js';
import type { ActorRuntime, RunningActor } from '../system/runtime.js';
import { fileKeySet, KeySet, type HeldKey } from './key-sets.js';
import { ResumptionMetrics } from './metrics.js';
import { SessionClient, type LookupOutcome } from './session-client.js';
import { keyIdOfVariant, TicketRouter, variantOf, type TicketRoute } from './ticket-router.js';
import { offloadResumption, type OffloadResumption } from './offload-resumption.js';

/** Tags of unknown issuers a policy's key may get servers for: bounds what forged key names can cost. */
const MAX_FOREIGN_TAGS = 64;
const TICKET_KEY_BYTES = 48;

interface Binding {
  policy: NativePolicy;
  scope: string;
  /** Label for metrics: the served certificate's name. */
  sni: string;
  /** null: tickets off for this policy. */
  keys: KeySet | null;
  cache: boolean;
}

interface Expectation {
  id: string;
  scope: string;
  outcome: LookupOutcome | undefined;
}

interface Route extends ResumptionRoute {
  readonly binding: Binding;
  readonly ticket: TicketRoute;
  readonly expect: Expectation | undefined;
}

export interface ProxyResumption extends ResumptionPort, RunningActor {
  serverOptions(policy: NativePolicy, variant: string): tls.TlsOptions;
  configureServer(server: tls.Server, policy: NativePolicy, variant: string, features: ServerFeatures): void;
  /** Called once the proxy's native engine exists: rotations drop servers of removed keys. */
  bindEngine(native: NativeEngine): void;
  /** The fleet block as applied here: term, revision, key ids with epochs and status (no material). */
  fleetKeys(): { term: number; revision: number; keys: Array<{ id: string; epoch: number; status: string }> };
  readonly sessions: SessionClient;
  /** The offload engine's side: per-policy ticket port (same scoped keys) and stateful sessions (docs/offload.md). */
  readonly offload: OffloadResumption;
}

export interface ResumptionOptions {
  /** How often the proxy reports the keys it holds (default 2 s). */
  announceEveryMs?: number;
}

export async function startProxyResumption(runtime: ActorRuntime, options: ResumptionOptions = {}): Promise<ProxyResumption> {
  const r = new Resumption(runtime, options);
  await r.start();
  return r;
}

class Resumption implements ProxyResumption {
  readonly name = 'resumption';
  readonly sessions: SessionClient;
  readonly offload: OffloadResumption;
  private readonly config: TlsedgeConfig;
  private readonly fleet = new KeySet('fleet');
  private readonly files = new Map<string, KeySet>();
  private readonly router = new TicketRouter();
  private readonly bindings = new Map<string, Binding>();
  private readonly pending = new Map<string, Expectation[]>();
  private readonly tagNodes = new Map<string, string>();
  private readonly foreignTags = new Map<string, Set<string>>();
  private readonly fileText = new Map<string, string>();
  private readonly keySealer: Sealer;
  private readonly selfTag: Buffer;
  private readonly selfTagHex: string;
  private readonly recorder: EventRecorder;
  private readonly metrics: ResumptionMetrics;
  private readonly subs: Subscription[] = [];
  private readonly warned = new Set<string>();
  private native: NativeEngine | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopStatus: (() => void) | undefined;
  private readonly announceEveryMs: number;
  private readonly usesFleetBlock: boolean;
  private readonly usesTickets: boolean;
  /** When a block of the term we follow last arrived. */
  private currentTermSeenAt = 0;

  constructor(
    private readonly runtime: ActorRuntime,
    options: ResumptionOptions,
  ) {
    this.config = runtime.config;
    const fleetKey = loadFleetKey(this.config.fleetKeyFile);
    // Embedded (memory bus): nothing leaves the process, so a process-local key is right; over NATS the
    // config loader already requires fleet_key_file.
    if (fleetKey.origin === 'ephemeral') runtime.log[runtime.bus.transport === 'memory' ? 'debug' : 'warn']('no fleet_key_file: sealing with a key that lives only in this process');
    this.keySealer = new Sealer(fleetKey.bytes, 'ticket-key');
    const cache = this.config.session.cache;
    this.sessions = new SessionClient({
      bus: runtime.bus,
      sealer: new Sealer(fleetKey.bytes, 'session'),
      nodeId: runtime.nodeId,
      ttlMs: cache.ttlMs,
      lookupTimeoutMs: cache.lookupTimeoutMs,
      localSize: cache.enabled ? cache.localSize : 0,
    });
    this.selfTag = nodeTag(runtime.nodeId);
    this.selfTagHex = this.selfTag.toString('hex');
    this.tagNodes.set(this.selfTagHex, runtime.nodeId);
    this.recorder = new EventRecorder(runtime.events, runtime.nodeId, 'resumption');
    this.metrics = new ResumptionMetrics(runtime.metrics);
    this.announceEveryMs = options.announceEveryMs ?? 2000;
    const t = this.config.session.tickets;
    // Static key files: load now so a bad file is a start-up error naming it.
    if (t.keyFile) this.fileSet(t.keyFile);
    for (const c of this.config.certificates) if (c.tickets?.keyFile) this.fileSet(c.tickets.keyFile);
    this.usesTickets = t.enabled || this.config.certificates.some((c) => c.tickets?.enabled === true);
    this.offload = offloadResumption({
      binding: (policy) => this.binding(policy),
      router: this.router,
      sessions: this.sessions,
      metrics: this.metrics,
      recorder: this.recorder,
      selfTag: this.selfTag,
      tagNodes: this.tagNodes,
      nodeId: runtime.nodeId,
      ticketLifetimeMs: t.lifetimeMs,
      sessionTtlMs: cache.ttlMs,
    });
    this.usesFleetBlock = !t.keyFile && (t.enabled || this.config.certificates.some((c) => c.tickets?.enabled === true)) && this.config.certificates.some((c) => !c.tickets?.keyFile && (c.tickets?.enabled ?? t.enabled));
  }

  async start(): Promise<void> {
    const { bus } = this.runtime;
    if (this.usesTickets) {
      // Peers' presence tells us which node each ticket tag belongs to (for issuedBy).
      this.subs.push(bus.subscribe(keyRotationSubjects.acknowledge, (msg) => this.learnNode((msg.data as unknown as KeyAcknowledgement)?.node)));
      this.timer = setInterval(() => this.acknowledge(), this.announceEveryMs);
      this.timer.unref();
    }
    if (this.usesFleetBlock) {
      this.subs.push(bus.subscribe(keyRotationSubjects.block, (msg) => this.applyBlock(msg.data as unknown as KeyBlockMessage)));
      this.stopStatus = bus.onStatus((status) => {
        if (status === 'connected') void this.fetchBlock();
      });
      await this.fetchBlock();
    } else if (this.usesTickets) {
      this.acknowledge();
    }
    this.runtime.health.register('resumption', () => ({
      // Serving without tickets is degraded, not broken: full handshakes (and session IDs) still work.
      ok: true,
      facts: { fleet_keys: this.fleet.keys.length, encrypting_epoch: this.fleet.encrypting()?.epoch ?? null, term: this.fleet.term, revision: this.fleet.revision, sessions_stored: this.sessions.counters.stored, session_put_failures: this.sessions.counters.putFailures },
      ...(this.usesFleetBlock && !this.fleet.encrypting() ? { detail: 'no ticket key from the key-rotation actor yet: issuing no tickets (is `tlsedge run key-rotation` running?)' } : {}),
    }));
  }

  bindEngine(native: NativeEngine): void {
    this.native = native;
  }

  fleetKeys(): { term: number; revision: number; keys: Array<{ id: string; epoch: number; status: string }> } {
    return { term: this.fleet.term, revision: this.fleet.revision, keys: this.fleet.keys.map((k) => ({ id: k.id, epoch: k.epoch, status: k.status })) };
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.stopStatus?.();
    for (const s of this.subs) s.unsubscribe();
    this.sessions.close();
    this.fleet.replace([]);
  }

  // --- the key block -----------------------------------------------------------------------------

  private async fetchBlock(): Promise<void> {
    try {
      const block = (await this.runtime.bus.request(keyRotationSubjects.fetch, {}, { timeoutMs: 2000 })) as unknown as KeyBlockMessage;
      this.applyBlock(block);
    } catch {
      // No rotator reachable now: the periodic block broadcast brings it when there is one.
      this.acknowledge();
    }
  }

  private applyBlock(block: KeyBlockMessage): void {
    if (!block || typeof block.term !== 'number' || typeof block.revision !== 'number' || !Array.isArray(block.keys)) return;
    if (Array.isArray(block.nodes)) for (const node of block.nodes) this.learnNode(node);
    const fleet = this.fleet;
    const now = Date.now();
    if (block.term === fleet.term && block.revision <= fleet.revision) {
      this.currentTermSeenAt = now;
      return;
    }
    // A lower term is a superseded leader — unless our term's leader has been silent for a while
    // and the fleet started over (lease and log recreated): then follow the one that speaks.
    if (block.term < fleet.term && now - this.currentTermSeenAt < 3 * this.announceEveryMs) return;
    this.currentTermSeenAt = now;
    const previous = new Map(fleet.keys.map((k) => [k.id, k]));
    const keys: HeldKey[] = [];
    for (const k of block.keys) {
      if (typeof k?.id !== 'string' || typeof k.sealed !== 'string') continue;
      const status = k.status === 'active' || k.status === 'retired' || k.status === 'staged' ? k.status : undefined;
      if (!status) continue;
      const known = previous.get(k.id);
      let material = known?.material;
      if (!material) {
        try {
          material = this.keySealer.open(k.sealed, keyAad(k.id));
        } catch {
          if (!this.warned.has(k.id)) {
            this.warned.add(k.id);
            this.runtime.log.error('cannot open a ticket key from the block (is fleet_key_file the same on every process?)', { key: k.id });
          }
          continue;
        }
        if (material.length !== TICKET_KEY_BYTES) continue;
      }
      keys.push({ id: k.id, epoch: Number(k.epoch) || 0, status, material });
    }
    fleet.term = block.term;
    fleet.revision = block.revision;
    fleet.replace(keys);
    const live = fleet.ids();
    // Servers of keys that left the block can no longer be reached; handshakes on them finish.
    this.native?.dropServers((policyId, variant) => {
      if (variant === '') return true;
      const b = this.bindings.get(policyId);
      return b?.keys !== fleet || live.has(keyIdOfVariant(variant));
    });
    const active = fleet.encrypting();
    this.metrics.encryptingEpoch(active?.epoch ?? 0);
    // Build the new encrypting servers now rather than on the next connection's time.
    if (active && this.native) {
      for (const b of this.bindings.values()) {
        if (b.keys === fleet) {
          try {
            const variant = variantOf(active.id, this.selfTagHex);
            this.native.serverFor(b.policy, variant, { sessionIds: false });
            if (b.cache) this.native.serverFor(b.policy, variant, { sessionIds: true });
          } catch {
            // a certificate that cannot load fails its own connections, as before
          }
        }
      }
    }
    this.runtime.log.info('ticket keys applied', { term: block.term, revision: block.revision, encrypting_epoch: active?.epoch ?? null, keys: keys.map((k) => `${k.epoch}:${k.status}`).join(',') });
    this.acknowledge();
  }

  private learnNode(node: unknown): void {
    if (typeof node !== 'string' || this.tagNodes.size >= 10_000) return;
    const tag = nodeTag(node).toString('hex');
    if (this.tagNodes.has(tag)) return;
    this.tagNodes.set(tag, node);
    // A newcomer: tell it who we are now rather than at our next presence tick.
    this.acknowledge();
  }

  private acknowledge(): void {
    const ack: KeyAcknowledgement = { node: this.runtime.nodeId, term: this.fleet.term, revision: this.fleet.revision, held: this.fleet.keys.map((k) => k.id), encrypting: this.fleet.encrypting()?.id ?? null };
    this.runtime.bus.publish(keyRotationSubjects.acknowledge, ack as unknown as Json);
  }

  private fileSet(path: string): KeySet {
    let set = this.files.get(path);
    if (!set) {
      set = fileKeySet(path);
      this.files.set(path, set);
    }
    return set;
  }

  // --- policies ----------------------------------------------------------------------------------

  private binding(policy: NativePolicy): Binding {
    let b = this.bindings.get(policy.id);
    if (b) return b;
    const cert = policy.certificate;
    const t = this.config.session.tickets;
    const ticketsOn = cert.tickets?.enabled ?? t.enabled;
    const keyFile = cert.tickets?.keyFile ?? t.keyFile;
    const ca = policy.rule.clientCert.mode !== 'none' && policy.rule.clientCert.ca ? this.read(policy.rule.clientCert.ca) : '';
    b = {
      policy,
      scope: ticketScope({ certificate: this.read(cert.cert), clientCertMode: policy.rule.clientCert.mode, clientCa: ca }),
      sni: cert.id,
      keys: ticketsOn ? (keyFile ? this.fileSet(keyFile) : this.fleet) : null,
      cache: this.config.session.cache.enabled,
    };
    if (this.bindings.size > 10_000) this.bindings.clear();
    this.bindings.set(policy.id, b);
    return b;
  }

  private read(path: string): string {
    let text = this.fileText.get(path);
    if (text === undefined) {
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        text = `unreadable:${path}`;
      }
      this.fileText.set(path, text);
    }
    return text;
  }

  serverOptions(policy: NativePolicy, variant: string): tls.TlsOptions {
    const b = this.binding(policy);
    const t = this.config.session;
    const options: tls.TlsOptions = {
      // Explicit: Node's default derives it from process.argv, so two processes never resume (PLATFORM-FACTS).
      sessionIdContext: b.scope,
      sessionTimeout: Math.max(1, Math.ceil((b.keys ? t.tickets.lifetimeMs : t.cache.ttlMs) / 1000)),
    };
    const key = variant && b.keys ? this.router.table(b.keys, b.scope).byName : undefined;
    if (key) {
      const dot = variant.indexOf('.');
      const keyId = variant.slice(0, dot);
      const scoped = [...key.values()].find((k) => k.keyId === keyId);
      if (scoped) {
        options.ticketKeys = scopedTicketKey(scoped.parts, Buffer.from(variant.slice(dot + 1), 'hex'));
        return options;
      }
    }
    // No shared key (tickets off, or no block yet): issue no tickets rather than ones only this
    // process could decrypt — no proxy encrypts with a key another cannot decrypt.
    options.secureOptions = cryptoConstants.SSL_OP_NO_TICKET;
    return options;
  }

  configureServer(server: tls.Server, policy: NativePolicy, _variant: string, features: ServerFeatures): void {
    const b = this.binding(policy);
    if (!b.cache || !features.sessionIds) return;
    server.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
      // At once: a late callback holds back every server write in TLS 1.3 (PLATFORM-FACTS).
      done();
      // TLS 1.3 sessions are never looked up by ID (Node only sees the random legacy id): skip them.
      if (sessionProtocolVersion(data) === 0x0304) return;
      this.sessions.store(id, data, b.scope);
    });
    server.on('resumeSession', (id: Buffer, done: (err: Error | null, data: Buffer | null) => void) => {
      const hex = id.toString('hex');
      const waiting = this.pending.get(hex)?.filter((e) => e.scope === b.scope && !e.outcome);
      // Nobody expects a lookup (TLS 1.3's random legacy id, or a ticket was offered): answer now.
      if (!waiting || waiting.length === 0) return done(null, null);
      void this.sessions.lookup(id, b.scope).then((outcome) => {
        for (const e of waiting) e.outcome = outcome;
        done(null, outcome.found ? outcome.session.data : null);
      });
    });
  }

  // --- per connection ----------------------------------------------------------------------------

  route(policy: NativePolicy, hello: HelloFacts, sessionId: Uint8Array): ResumptionRoute {
    const b = this.binding(policy);
    let variant = '';
    let ticket: TicketRoute = { kind: 'none' };
    if (b.keys) {
      ticket = this.router.route(b.keys, b.scope, presentedKeyNames(hello));
      if (ticket.kind === 'routed') {
        if (ticket.tag === this.selfTagHex || this.allowTag(policy.id, ticket.key.keyId, ticket.tag)) variant = variantOf(ticket.key.keyId, ticket.tag);
        else ticket = { kind: 'unknown_key' };
      }
      if (!variant) {
        const enc = this.router.table(b.keys, b.scope).encrypt;
        if (enc) variant = variantOf(enc.keyId, this.selfTagHex);
      }
    }
    let expect: Expectation | undefined;
    const willBe13 = hello.offersTls13 && policy.rule.tls.max === '1.3';
    // OpenSSL asks the session cache only for TLS 1.2 and only when no ticket is being tried.
    if (b.cache && sessionId.length > 0 && !willBe13 && !(variant !== '' && hello.sessionTicket.present)) {
      expect = { id: Buffer.from(sessionId).toString('hex'), scope: b.scope, outcome: undefined };
      const list = this.pending.get(expect.id);
      if (list) list.push(expect);
      else this.pending.set(expect.id, [expect]);
    }
    // TLS 1.3 never looks a session up by ID: its server has no session listeners (ServerFeatures).
    const route: Route = { variant, sessionIds: b.cache && !willBe13, binding: b, ticket, expect };
    return route;
  }

  private allowTag(policyId: string, keyId: string, tag: string): boolean {
    if (this.tagNodes.has(tag)) return true;
    const id = `${policyId}/${keyId}`;
    let tags = this.foreignTags.get(id);
    if (!tags) this.foreignTags.set(id, (tags = new Set()));
    if (tags.has(tag)) return true;
    if (tags.size >= MAX_FOREIGN_TAGS) return false;
    tags.add(tag);
    return true;
  }

  settle(r: ResumptionRoute, outcome: { reused: boolean; version: string; mechanism: 'ticket' | 'session_id' | null }): ResumptionFacts {
    const route = r as Route;
    this.forget(route);
    const { binding: b, ticket, expect } = route;
    const facts: ResumptionFacts = {};
    if (outcome.reused) {
      if (outcome.mechanism === 'ticket') {
        const tag = ticket.kind === 'routed' ? ticket.tag : this.selfTagHex;
        facts.issuedBy = this.tagNodes.get(tag) ?? `tag:${tag}`;
        facts.resumedElsewhere = tag !== this.selfTagHex;
        this.metrics.attempt('ticket', b.sni, true, facts.resumedElsewhere);
      } else {
        const found = expect?.outcome?.found ? expect.outcome : undefined;
        facts.issuedBy = found?.session.node ?? this.runtime.nodeId;
        facts.resumedElsewhere = facts.issuedBy !== this.runtime.nodeId;
        this.metrics.attempt('session_id', b.sni, true, facts.resumedElsewhere);
        if (found) {
          this.recorder.stream(found.key).emit(sessionEventType('resumed'), { scope: b.scope, issuer: found.session.node, node: this.runtime.nodeId, elsewhere: facts.resumedElsewhere, from: found.from } satisfies SessionEventData['resumed']);
        }
      }
      return facts;
    }
    if (ticket.kind !== 'none') {
      // A key we hold that OpenSSL still refused: the ticket outlived its lifetime (or its session).
      const reason = ticket.kind === 'routed' ? 'expired' : ticket.kind;
      facts.miss = { mechanism: 'ticket', reason };
      this.metrics.attempt('ticket', b.sni, false, false, reason);
    } else if (expect) {
      const o = expect.outcome;
      const reason = !o ? 'not_found' : o.found ? 'expired' : o.reason;
      facts.miss = { mechanism: 'session_id', reason };
      this.metrics.attempt('session_id', b.sni, false, false, reason);
      const data: SessionEventData['missed'] = { reason: reason as SessionEventData['missed']['reason'], scope: b.scope, node: this.runtime.nodeId };
      if (o && !o.found && o.issuedScope) data.issuedScope = o.issuedScope;
      this.recorder.stream(o?.key ?? 'unknown').emit(sessionEventType('missed'), data);
    }
    return facts;
  }

  forget(r: ResumptionRoute): void {
    const e = (r as Route).expect;
    if (!e) return;
    const list = this.pending.get(e.id);
    if (!list) return;
    const i = list.indexOf(e);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.pending.delete(e.id);
  }
}

const NONE: readonly string[] = [];

/** Key names (32 hex chars) of the tickets a hello offers: TLS 1.3 PSK identities, then the TLS 1.2 ticket. */
function presentedKeyNames(hello: HelloFacts): readonly string[] {
  const ticket = hello.sessionTicket.keyName;
  if (hello.pskKeyNames.length === 0) return ticket ? [ticket] : NONE;
  return ticket ? [...hello.pskKeyNames, ticket] : hello.pskKeyNames;
}
