// The key-rotation actor: while it holds the fleet lease it owns the ticket-key block — rebuilds it
// from the log, stages new keys every `rotate_every`, activates them once every live proxy holds
// them (or at `stage_timeout`), retires and removes old ones, and sends the block to the proxies.
// Every change is recorded (and durable) before any proxy sees it.
import { randomBytes } from 'node:crypto';
import type { TlsedgeConfig } from '../../adapters/config/model.js';
import { loadFleetKey } from '../../adapters/crypto/fleet-key.js';
import { Sealer } from '../../adapters/crypto/seal.js';
import { LocalLease, NatsKvLease, type Lease } from '../../adapters/session/lease.js';
import type { Subscription } from '../../bus/bus.js';
import type { Json } from '../../bus/envelope.js';
import { JetStreamEventReader } from '../../bus/log/jetstream-reader.js';
import { JsonlEventReader } from '../../bus/log/jsonl-reader.js';
import type { EventLogWriter } from '../../bus/log/types.js';
import { NatsBus } from '../../bus/nats/transport.js';
import { EventRecorder, type EventStream } from '../../bus/recorder.js';
import type { ActorRuntime, RunningActor } from '../system/runtime.js';
import { keyAad, keyRotationSubjects as subjects, type ExportReply, type ImportRequest, type KeyAcknowledgement, type KeyBlockMessage, type KeyStatusReply, type RotateReply } from './commands.js';
import { TICKET_KEY_STREAM, ticketKeyEventType, type TicketKeyEvent, type TicketKeyFact } from './events.js';
import { importSteps, nextSteps, type LiveProxy, type RotationSettings, type Step } from './plan.js';
import type { KeyEventSource } from './ports.js';
import { activeKey, evolve, foldKeyBlock, initialKeyBlockState, type KeyBlockState } from './state.js';

export class KeyRotationError extends Error {
  override readonly name = 'KeyRotationError';
  constructor(
    readonly code: 'static_key_file' | 'not_leader' | 'bad_request' | 'busy',
    message: string,
  ) {
    super(message);
  }
}

export interface KeyRotationOptions {
  lease?: Lease;
  source?: KeyEventSource;
  /** How often proxies are told the block and considered gone when silent for 3×. Default 2 s. */
  announceEveryMs?: number;
}

export interface RunningKeyRotation extends RunningActor {
  /** The block as this process knows it (followers: as of their last leadership, or empty). */
  state(): KeyBlockState;
  isLeader(): boolean;
}

export const TICKET_KEY_LENGTH = 48;

export async function startKeyRotationActor(runtime: ActorRuntime, options: KeyRotationOptions = {}): Promise<RunningKeyRotation> {
  const rotator = new KeyRotator(runtime, options);
  await rotator.start();
  return rotator;
}

class KeyRotator implements RunningKeyRotation {
  readonly name = 'key-rotation';
  private block: KeyBlockState = initialKeyBlockState;
  private leader = false;
  private ready = false;
  private stream: EventStream | undefined;
  private readonly recorder: EventRecorder;
  private readonly sealer: Sealer;
  private readonly settings: RotationSettings;
  private readonly lease: Lease;
  private readonly live = new Map<string, { held: Set<string>; encrypting: string | null; seenAt: number }>();
  private readonly announceEveryMs: number;
  private readonly tickMs: number;
  private leaderSubs: Subscription[] = [];
  private ackSub: Subscription | undefined;
  private timer: NodeJS.Timeout | undefined;
  private busy: Promise<void> = Promise.resolve();
  private lastLeaseTick = 0;
  private lastAnnounce = 0;
  private quietUntil = 0;
  private stopped = false;
  private readonly staticFile: string | undefined;

  constructor(
    private readonly runtime: ActorRuntime,
    private readonly options: KeyRotationOptions,
  ) {
    const { config } = runtime;
    const t = config.session.tickets;
    this.staticFile = t.keyFile;
    this.settings = { rotateEveryMs: t.rotateEveryMs, stageTimeoutMs: t.stageTimeoutMs, keep: t.keep };
    this.sealer = new Sealer(loadFleetKey(config.fleetKeyFile).bytes, 'ticket-key');
    this.recorder = new EventRecorder(runtime.events, runtime.nodeId, 'key-rotation');
    this.lease = options.lease ?? new LocalLease(runtime.nodeId);
    this.announceEveryMs = options.announceEveryMs ?? 2000;
    this.tickMs = Math.max(50, Math.min(1000, t.stageTimeoutMs / 4, t.rotateEveryMs / 4, this.announceEveryMs / 2));
  }

  async start(): Promise<void> {
    const { runtime } = this;
    if (this.staticFile) {
      runtime.log.info('session.tickets.key_file is set: ticket keys are static, rotation is off', { file: this.staticFile });
      this.leaderSubs = this.serveCommands();
      return;
    }
    this.ackSub = runtime.bus.subscribe(subjects.acknowledge, (msg) => this.onAcknowledge(msg.data as unknown as KeyAcknowledgement));
    runtime.health.register('key_rotation', () => ({
      ok: true,
      facts: { leader: this.leader, term: this.block.term, revision: this.block.revision, keys: this.block.keys.length, active: activeKey(this.block)?.epoch ?? null, proxies: this.liveProxies().length },
    }));
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.tickMs);
    this.timer.unref();
  }

  state(): KeyBlockState {
    return this.block;
  }

  isLeader(): boolean {
    return this.leader && this.ready;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.busy.catch(() => undefined);
    this.ackSub?.unsubscribe();
    this.dropLeaderSubs();
    if (this.leader) await this.lease.release();
    await this.options.source?.close();
  }

  // --- the loop: lease, then decisions, one at a time -----------------------------------------

  private stepping: Promise<void> | undefined;

  private tick(): Promise<void> {
    // Serialised, and never piled up: a slow flush (NATS down) delays the next decision instead of
    // racing it or queueing one per timer tick.
    if (this.stepping) return this.stepping;
    const run = this.busy
      .then(() => this.step())
      .catch((err: unknown) => this.runtime.log.warn('key rotation step failed', { error: (err as Error).message }))
      .finally(() => {
        if (this.stepping === run) this.stepping = undefined;
      });
    this.stepping = run;
    this.busy = run;
    return run;
  }

  private async step(): Promise<void> {
    if (this.stopped) return;
    const now = Date.now();
    if (now - this.lastLeaseTick >= Math.min(this.lease.ttlMs / 3, 1000) || !this.leader) {
      this.lastLeaseTick = now;
      const lease = await this.lease.tick();
      if (lease.held && !this.leader) await this.becomeLeader(lease.term);
      else if (!lease.held && this.leader) this.stepDown(lease.holder);
    }
    if (!this.leader || !this.ready) return;
    if (Date.now() < this.quietUntil) {
      // Just took over an existing block: hear every live proxy before deciding anything.
      if (Date.now() - this.lastAnnounce >= this.announceEveryMs) this.announce();
      return;
    }
    const steps = nextSteps(this.block, Date.now(), this.liveProxies(), this.settings, () => this.mint());
    if (steps.length > 0) await this.commit(steps);
    else if (Date.now() - this.lastAnnounce >= this.announceEveryMs) this.announce();
  }

  private async becomeLeader(leaseTerm: number): Promise<void> {
    this.leader = true;
    this.ready = false;
    try {
      await this.takeOver(leaseTerm);
    } catch (err) {
      // Could not rebuild (log unreachable): not a leader yet; the next tick tries again.
      this.leader = false;
      throw err;
    }
  }

  private async takeOver(leaseTerm: number): Promise<void> {
    const { runtime } = this;
    // Our own earlier events must be in the log before we read it back.
    await flushEvents(runtime.events);
    const source = this.options.source ?? defaultSource(runtime);
    const events = [];
    for await (const e of source.read()) events.push(e);
    if (!this.options.source) await source.close();
    this.block = foldKeyBlock(events);
    const term = Math.max(leaseTerm, this.block.term + 1);
    this.stream = this.recorder.stream(TICKET_KEY_STREAM, this.block.lastSequence + 1);
    this.record('leader_elected', { node: runtime.nodeId, term });
    // Keys sealed under another fleet key (an embedded restart with an ephemeral one, a changed
    // fleet_key_file) can never be applied by a proxy: take them out so a usable key replaces them.
    const unreadable = this.block.keys.filter((k) => !this.opens(k.id, k.sealed));
    for (const k of unreadable) this.record('removed', { keyId: k.id, epoch: k.epoch, reason: 'unreadable', term });
    if (unreadable.length) runtime.log.warn('ticket keys in the log cannot be opened with this fleet key: removed', { keys: unreadable.map((k) => k.id).join(',') });
    await flushEvents(runtime.events);
    runtime.log.info('ticket-key rotation: leader', { term, keys: this.block.keys.length, active_epoch: activeKey(this.block)?.epoch ?? null, events: events.length });
    this.leaderSubs = this.serveCommands();
    // A new leader knows no proxy yet: activating now could make a key encrypt before a live proxy
    // holds it. Proxies answer the announcement at once; wait a little longer than their presence
    // interval. A fresh block has nothing to protect (no proxy issues tickets without one).
    this.quietUntil = this.block.keys.length > 0 ? Date.now() + 1.5 * this.announceEveryMs : 0;
    this.ready = true;
    this.announce();
  }

  private stepDown(holder: string | null): void {
    this.runtime.log.warn('ticket-key rotation: lease lost, following', { holder });
    this.leader = false;
    this.ready = false;
    this.dropLeaderSubs();
  }

  private dropLeaderSubs(): void {
    for (const s of this.leaderSubs) s.unsubscribe();
    this.leaderSubs = [];
  }

  private opens(keyId: string, sealed: string): boolean {
    try {
      const material = this.sealer.open(sealed, keyAad(keyId));
      const ok = material.length === TICKET_KEY_LENGTH;
      material.fill(0);
      return ok;
    } catch {
      return false;
    }
  }

  private mint(): { keyId: string; sealed: string } {
    const keyId = `k${randomBytes(6).toString('hex')}`;
    const material = randomBytes(TICKET_KEY_LENGTH);
    const sealed = this.sealer.seal(material, keyAad(keyId));
    material.fill(0);
    return { keyId, sealed };
  }

  private record(fact: TicketKeyFact, data: object): void {
    const event = this.stream!.emit(ticketKeyEventType(fact), data, (data as { keyId?: string }).keyId);
    this.block = evolve(this.block, event as unknown as TicketKeyEvent);
  }

  /** Records the steps (with our term), makes them durable, then tells the proxies. */
  private async commit(steps: Step[]): Promise<void> {
    for (const s of steps) {
      this.record(s.fact, { ...s.data, term: this.block.term });
      if (s.fact !== 'acknowledged' && s.fact !== 'leader_elected') this.runtime.log.info(`ticket key ${s.fact}`, { key: s.data.keyId, epoch: s.data.epoch, ...(s.fact === 'stage_timed_out' ? { missing: s.data.missing.join(',') } : {}) });
    }
    await flushEvents(this.runtime.events);
    this.announce();
  }

  private announce(): void {
    this.lastAnnounce = Date.now();
    this.runtime.bus.publish(subjects.block, this.blockMessage() as unknown as Json);
  }

  private blockMessage(): KeyBlockMessage {
    const b = this.block;
    return { leader: this.runtime.nodeId, term: b.term, revision: b.revision, keys: b.keys.map((k) => ({ id: k.id, epoch: k.epoch, status: k.status, sealed: k.sealed })), nodes: this.liveProxies().map((p) => p.node), sentAt: new Date().toISOString() };
  }

  // --- proxies ---------------------------------------------------------------------------------

  private onAcknowledge(ack: KeyAcknowledgement): void {
    if (!ack || typeof ack.node !== 'string' || !Array.isArray(ack.held)) return;
    const before = this.live.get(ack.node);
    this.live.set(ack.node, { held: new Set(ack.held.filter((x): x is string => typeof x === 'string')), encrypting: typeof ack.encrypting === 'string' ? ack.encrypting : null, seenAt: Date.now() });
    // A proxy that just picked up the staged key may complete the rotation: decide now.
    const staged = this.block.keys.find((k) => k.status === 'staged');
    if (staged && ack.held.includes(staged.id) && !before?.held.has(staged.id)) void this.tick();
  }

  private liveProxies(): LiveProxy[] {
    const cutoff = Date.now() - 3 * this.announceEveryMs;
    const out: LiveProxy[] = [];
    for (const [node, p] of this.live) {
      if (p.seenAt < cutoff) this.live.delete(node);
      else out.push({ node, held: p.held });
    }
    return out;
  }

  // --- commands (served by the leader only) ---------------------------------------------------

  private serveCommands(): Subscription[] {
    const { bus } = this.runtime;
    return [
      bus.serve(subjects.fetch, () => this.blockMessage() as unknown as Json),
      bus.serve(subjects.status, () => this.status() as unknown as Json),
      bus.serve(subjects.rotate, () => this.rotateNow() as unknown as Promise<Json>),
      bus.serve(subjects.export, () => this.exportBlock() as unknown as Json),
      bus.serve(subjects.import, (data) => this.importBlock(data as unknown as ImportRequest) as unknown as Promise<Json>),
    ];
  }

  private status(): KeyStatusReply {
    const b = this.block;
    const epochOf = new Map(b.keys.map((k) => [k.id, k.epoch]));
    return {
      leader: this.staticFile ? null : this.runtime.nodeId,
      term: b.term,
      revision: b.revision,
      rotation: this.staticFile ? 'static' : 'rotating',
      rotateEveryMs: this.settings.rotateEveryMs,
      keys: b.keys.map((k) => ({ id: k.id, epoch: k.epoch, status: k.status, origin: k.origin, stagedAt: k.stagedAt, activatedAt: k.activatedAt, retiredAt: k.retiredAt, acks: [...k.acks], missing: k.missing ? [...k.missing] : null })),
      removed: b.removed.map((r) => ({ ...r })),
      proxies: [...this.live].map(([node, p]) => ({
        node,
        encrypting: p.encrypting,
        encryptingEpoch: p.encrypting ? epochOf.get(p.encrypting) ?? null : null,
        heldEpochs: [...p.held].map((id) => epochOf.get(id)).filter((e): e is number => e !== undefined).sort((x, y) => y - x),
        lastSeenMsAgo: Date.now() - p.seenAt,
      })),
    };
  }

  private refuseStatic(): void {
    if (this.staticFile) throw new KeyRotationError('static_key_file', `ticket keys come from ${this.staticFile} (session.tickets.key_file): rotation and import are off`);
  }

  /** Stages a new key now; it activates as usual once acknowledged. */
  private async rotateNow(): Promise<RotateReply> {
    this.refuseStatic();
    let reply: RotateReply | undefined;
    await this.exclusive(async () => {
      const pending = this.block.keys.find((k) => k.status === 'staged');
      if (pending) {
        reply = { keyId: pending.id, epoch: pending.epoch, status: 'staged' };
        return;
      }
      const { keyId, sealed } = this.mint();
      const epoch = this.block.nextEpoch;
      await this.commit([{ fact: 'staged', data: { keyId, epoch, sealed, origin: 'generated', expected: this.liveProxies().map((p) => p.node).sort(), deadline: new Date(Date.now() + this.settings.stageTimeoutMs).toISOString() } }]);
      reply = { keyId, epoch, status: 'staged' };
    });
    return reply!;
  }

  private exportBlock(): ExportReply {
    const order = { active: 0, retired: 1, staged: 2 } as const;
    const keys = this.block.keys
      .filter((k) => k.status !== 'staged')
      .sort((a, b) => order[a.status] - order[b.status] || b.epoch - a.epoch)
      .map((k) => ({ id: k.id, epoch: k.epoch, status: k.status, sealed: k.sealed }));
    return { keys };
  }

  private async importBlock(request: ImportRequest): Promise<{ keys: Array<{ id: string; epoch: number; status: string }> }> {
    this.refuseStatic();
    const keys = Array.isArray(request?.keys) ? request.keys : [];
    if (keys.length === 0) throw new KeyRotationError('bad_request', 'import needs at least one key');
    for (const k of keys) {
      if (typeof k.id !== 'string' || !/^[A-Za-z0-9_-]{1,40}$/.test(k.id) || typeof k.sealed !== 'string') throw new KeyRotationError('bad_request', 'each imported key needs an id and sealed material');
      if (this.block.keys.some((x) => x.id === k.id)) throw new KeyRotationError('bad_request', `key ${k.id} is already in the block`);
      // Refuse what no proxy could use: sealed under another fleet key, or not 48 bytes.
      if (!this.opens(k.id, k.sealed)) throw new KeyRotationError('bad_request', `key ${k.id} does not open as a ${TICKET_KEY_LENGTH}-byte key with this fleet key`);
    }
    await this.exclusive(() => this.commit(importSteps(this.block, keys, Date.now(), this.liveProxies(), this.settings)));
    return { keys: keys.map((k) => ({ id: k.id, epoch: this.block.keys.find((x) => x.id === k.id)?.epoch ?? -1, status: this.block.keys.find((x) => x.id === k.id)?.status ?? 'retired' })) };
  }

  private exclusive(fn: () => Promise<void>): Promise<void> {
    const run = this.busy.then(async () => {
      if (!this.leader || !this.ready) throw new KeyRotationError('not_leader', 'this rotator lost the lease; retry');
      await fn();
    });
    this.busy = run.catch(() => undefined);
    return run;
  }
}

async function flushEvents(sink: unknown): Promise<void> {
  const writer = sink as Partial<EventLogWriter>;
  if (typeof writer.flush === 'function') await writer.flush();
}

function defaultSource(runtime: ActorRuntime): KeyEventSource {
  const filter = { correlationId: TICKET_KEY_STREAM, types: ['tlsedge.ticketkey.*'] };
  const { config, bus } = runtime;
  const reader = bus instanceof NatsBus ? new JetStreamEventReader(bus.connection, config.log.stream) : new JsonlEventReader(config.log.dir);
  return { read: () => reader.read(filter), close: () => reader.close() };
}

/** The lease for this process: NATS KV in distributed mode, always held in embedded mode. */
export async function defaultLease(runtime: ActorRuntime, config: TlsedgeConfig = runtime.config): Promise<Lease> {
  const { bus } = runtime;
  if (!(bus instanceof NatsBus)) return new LocalLease(runtime.nodeId);
  const t = config.session.tickets;
  return NatsKvLease.open(bus.connection, t.leaseBucket, 'key-rotation', runtime.nodeId, t.leaseTtlMs);
}
