// The key-rotation actor on the memory bus: acknowledged activation, commands served by the leader
// only, and a lease handover in which the new leader rebuilds the block from the log and continues it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { configFromObject } from '../../../adapters/config/load.js';
import { memoryLogger } from '../../../adapters/log/logger.js';
import { createMetricsRegistry } from '../../../adapters/metrics/registry.js';
import type { Lease, LeaseState } from '../../../adapters/session/lease.js';
import { startKeyRotationActor, type RunningKeyRotation } from '../../../actors/key-rotation/actor.js';
import { keyAad, keyRotationSubjects, type ExportReply, type KeyAcknowledgement, type KeyBlockMessage, type KeyStatusReply } from '../../../actors/key-rotation/commands.js';
import { Sealer } from '../../../adapters/crypto/seal.js';
import { HealthRegistry } from '../../../actors/system/health.js';
import type { ActorRuntime } from '../../../actors/system/runtime.js';
import type { AnyEvent, Json } from '../../../bus/envelope.js';
import { MemoryBus } from '../../../bus/memory/transport.js';
import { tempDir } from '../../support/processes.js';

/** Who holds the lease is decided by the test. */
class SharedLease {
  holder = '';
  term = 0;
  give(node: string): void {
    this.holder = node;
    this.term++;
  }
  for(node: string): Lease {
    return {
      ttlMs: 300,
      tick: async (): Promise<LeaseState> => (this.holder === node ? { held: true, term: this.term, holder: node } : { held: false, term: 0, holder: this.holder }),
      release: async () => undefined,
    };
  }
}

describe('key-rotation actor', () => {
  const bus = new MemoryBus();
  const log: AnyEvent[] = [];
  const lease = new SharedLease();
  const dir = tempDir();
  const fleetKeyFile = join(dir, 'fleet.key');
  const fleetKey = randomBytes(32);
  writeFileSync(fleetKeyFile, fleetKey);
  const config = configFromObject({ fleet_key_file: fleetKeyFile, session: { tickets: { rotate_every: '1h', stage_timeout: '400ms', keep: 1 } }, certificates: [] , sni: [{ match: '*', tunnel: '127.0.0.1:1' }] }, dir);
  const rotators: RunningKeyRotation[] = [];

  function runtime(nodeId: string): ActorRuntime {
    return { config, bus, events: { append: (e) => log.push(e) }, nodeId, log: memoryLogger(), metrics: createMetricsRegistry(false), health: new HealthRegistry() };
  }
  const source = { read: async function* () { yield* [...log]; }, close: async () => undefined };

  async function start(node: string): Promise<RunningKeyRotation> {
    const r = await startKeyRotationActor(runtime(node), { lease: lease.for(node), source, announceEveryMs: 100 });
    rotators.push(r);
    return r;
  }

  /** A proxy that acknowledges whatever block it is sent. */
  function proxy(node: string): () => void {
    const sub = bus.subscribe(keyRotationSubjects.block, (m) => {
      const b = m.data as unknown as KeyBlockMessage;
      bus.publish(keyRotationSubjects.acknowledge, { node, term: b.term, revision: b.revision, held: b.keys.map((k) => k.id), encrypting: b.keys.find((k) => k.status === 'active')?.id ?? null } satisfies KeyAcknowledgement as unknown as Json);
    });
    return () => sub.unsubscribe();
  }

  const status = async () => (await bus.request(keyRotationSubjects.status, {}, { timeoutMs: 500 })) as unknown as KeyStatusReply;

  after(async () => {
    for (const r of rotators) await r.stop();
    await bus.close();
  });

  it('activates a staged key once the live proxies hold it, recording who acknowledged', async () => {
    const stopP1 = proxy('p1');
    lease.give('A');
    const a = await start('A');
    await until(() => a.state().keys.some((k) => k.status === 'active'));
    const rotate = (await bus.request(keyRotationSubjects.rotate, {}, { timeoutMs: 500 })) as unknown as { keyId: string; epoch: number };
    await until(() => a.state().keys.find((k) => k.id === rotate.keyId)?.status === 'active');
    const activated = log.filter((e) => e.type === 'tlsedge.ticketkey.activated').at(-1)!;
    assert.deepEqual((activated.data as { acknowledgedBy: string[] }).acknowledgedBy, ['p1']);
    assert.equal(log.some((e) => e.type === 'tlsedge.ticketkey.stage_timed_out'), false);
    stopP1();
  });

  it('activates after stage_timeout when a live proxy never acknowledges, and names it', async () => {
    // p2 reports presence but never picks up new keys
    const silent = setInterval(() => bus.publish(keyRotationSubjects.acknowledge, { node: 'p2', term: 0, revision: 0, held: [], encrypting: null }), 50);
    await new Promise((r) => setTimeout(r, 120));
    const rotate = (await bus.request(keyRotationSubjects.rotate, {}, { timeoutMs: 500 })) as unknown as { keyId: string };
    const a = rotators[0]!;
    await until(() => a.state().keys.find((k) => k.id === rotate.keyId)?.status === 'active', 3000);
    clearInterval(silent);
    const timedOut = log.filter((e) => e.type === 'tlsedge.ticketkey.stage_timed_out').at(-1)!;
    assert.deepEqual((timedOut.data as { missing: string[] }).missing, ['p2']);
    assert.equal(a.state().keys.filter((k) => k.status === 'retired').length, 1, 'keep: 1');
  });

  it('hands over: the new leader rebuilds the same block from the log and continues it with a higher term', async () => {
    const a = rotators[0]!;
    const b = await start('B');
    assert.equal(b.isLeader(), false);
    const before = a.state();
    lease.give('B');
    await until(() => b.isLeader() && !a.isLeader(), 3000);
    assert.deepEqual(b.state().keys.map((k) => [k.id, k.epoch, k.status]), before.keys.map((k) => [k.id, k.epoch, k.status]));
    assert.ok(b.state().term > before.term);
    const s = await status();
    assert.equal(s.leader, 'B', 'only the leader serves commands');
    const rotate = (await bus.request(keyRotationSubjects.rotate, {}, { timeoutMs: 500 })) as unknown as { epoch: number };
    assert.equal(rotate.epoch, before.nextEpoch, 'epochs continue where the old leader stopped');
    // the stream continues too: sequences strictly increase across leaders
    const seqs = log.filter((e) => e.correlationid === 'ticket-keys').map((e) => e.sequence);
    assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y));
    assert.equal(new Set(seqs).size, seqs.length);
  });

  it('imports keys in ATS order and exports the block with the encrypting key first', async () => {
    const stopP1 = proxy('p1');
    const sealer = new Sealer(fleetKey, 'ticket-key');
    const keys = [randomBytes(48), randomBytes(48)];
    const request = keys.map((k, i) => ({ id: `imp${i}`, sealed: sealer.seal(k, keyAad(`imp${i}`)) }));
    await bus.request(keyRotationSubjects.import, { keys: request }, { timeoutMs: 500 });
    const b = rotators[1]!;
    await until(() => b.state().keys.find((k) => k.id === 'imp0')?.status === 'active', 3000);
    const exported = (await bus.request(keyRotationSubjects.export, {}, { timeoutMs: 500 })) as unknown as ExportReply;
    // keep: 1 — the imported file's second key is the one retired key that still decrypts
    assert.deepEqual(exported.keys.map((k) => [k.id, k.status]), [['imp0', 'active'], ['imp1', 'retired']]);
    assert.deepEqual(exported.keys.map((k) => sealer.open(k.sealed, keyAad(k.id))), keys);
    // a key sealed under another fleet key is refused before it enters the block
    const foreign = new Sealer(randomBytes(32), 'ticket-key').seal(randomBytes(48), keyAad('bad'));
    await assert.rejects(bus.request(keyRotationSubjects.import, { keys: [{ id: 'bad', sealed: foreign }] }, { timeoutMs: 500 }), /does not open/);
    stopP1();
  });
});

async function until(probe: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}
