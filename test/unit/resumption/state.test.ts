// The ticket-key block as a fold of its events: any prefix folds to the state the rotator held at
// that point, leaders are fenced by term, and the rotation invariants hold over random runs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { CloudEvent } from '../../../bus/envelope.js';
import { ticketKeyEventType, type TicketKeyEvent, type TicketKeyFact } from '../../../actors/key-rotation/events.js';
import { activationSteps, importSteps, nextSteps, type LiveProxy, type RotationSettings, type Step } from '../../../actors/key-rotation/plan.js';
import { activeKey, evolve, foldKeyBlock, initialKeyBlockState, type KeyBlockState } from '../../../actors/key-rotation/state.js';

let seq = 0;
function event(fact: TicketKeyFact, data: object, time: number): TicketKeyEvent {
  return { specversion: '1.0', id: `e${++seq}`, source: '/tlsedge/test/key-rotation', type: ticketKeyEventType(fact), time: new Date(time).toISOString(), data, sequence: seq, correlationid: 'ticket-keys' } as unknown as TicketKeyEvent;
}

/** A little rotator: applies steps as events with the given term. */
class Sim {
  state: KeyBlockState = initialKeyBlockState;
  log: TicketKeyEvent[] = [];
  states: KeyBlockState[] = [];
  n = 0;
  record(fact: TicketKeyFact, data: object, time: number): void {
    const e = event(fact, data, time);
    this.log.push(e);
    this.state = evolve(this.state, e);
    this.states.push(this.state);
  }
  commit(steps: Step[], term: number, time: number): void {
    for (const s of steps) this.record(s.fact, { ...s.data, term }, time);
  }
  mint = () => ({ keyId: `k${++this.n}`, sealed: `sealed-${this.n}` });
}

const settings: RotationSettings = { rotateEveryMs: 1000, stageTimeoutMs: 300, keep: 2 };
const proxy = (node: string, ...held: string[]): LiveProxy => ({ node, held: new Set(held) });

describe('key block state', () => {
  it('folds every prefix of a random rotation log to the state recorded at that point', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ advance: fc.integer({ min: 0, max: 1500 }), acks: fc.subarray(['p1', 'p2', 'p3']), live: fc.subarray(['p1', 'p2', 'p3']), op: fc.constantFrom('tick', 'tick', 'tick', 'import', 'elect') }), { maxLength: 40 }),
        fc.integer({ min: 0, max: 3 }),
        (ops, keep) => {
          const sim = new Sim();
          let now = 1_000_000;
          let term = 1;
          sim.record('leader_elected', { node: 'r1', term }, now);
          for (const op of ops) {
            now += op.advance;
            const staged = sim.state.keys.find((k) => k.status === 'staged');
            const live = op.live.map((n) => proxy(n, ...(staged && op.acks.includes(n) ? [staged.id] : [])));
            if (op.op === 'elect') sim.record('leader_elected', { node: `r${++term}`, term }, now);
            else if (op.op === 'import') sim.commit(importSteps(sim.state, [sim.mint(), sim.mint()].map((k) => ({ id: k.keyId, sealed: k.sealed })), now, live, { ...settings, keep }), term, now);
            else sim.commit(nextSteps(sim.state, now, live, { ...settings, keep }, sim.mint), term, now);
            // invariants after every decision
            assert.ok(sim.state.keys.filter((k) => k.status === 'active').length <= 1, 'at most one encrypting key');
            assert.ok(sim.state.keys.filter((k) => k.status === 'staged').length <= 1, 'at most one key waiting to activate');
          }
          for (let i = 0; i < sim.log.length; i++) {
            assert.deepEqual(foldKeyBlock(sim.log.slice(0, i + 1)), sim.states[i]);
            // once an activation's removals are applied, at most `keep` keys only decrypt
            const next = sim.log[i + 1];
            if (sim.log[i]!.type !== 'tlsedge.ticketkey.activated' || next?.type === 'tlsedge.ticketkey.removed') continue;
            const retired = sim.states[i]!.keys.filter((k) => k.status === 'retired').length;
            assert.ok(retired <= keep, `retired keys after activation: ${retired}, keep ${keep}`);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('ignores events from a leader whose term was superseded', () => {
    const sim = new Sim();
    sim.record('leader_elected', { node: 'r1', term: 5 }, 0);
    sim.commit(nextSteps(sim.state, 0, [], settings, sim.mint), 5, 0);
    sim.record('leader_elected', { node: 'r2', term: 9 }, 1);
    const before = sim.state;
    sim.record('staged', { keyId: 'zombie', epoch: 99, sealed: 'x', origin: 'generated', expected: [], deadline: new Date(2).toISOString(), term: 5 }, 2);
    assert.equal(sim.state.keys.some((k) => k.id === 'zombie'), false);
    assert.equal(sim.state.ignored, before.ignored + 1);
    assert.equal(sim.state.revision, before.revision, 'an ignored event does not move the revision');
  });
});

describe('rotation plan', () => {
  it('stages a first key at once and activates it when every live proxy holds it', () => {
    const sim = new Sim();
    sim.record('leader_elected', { node: 'r1', term: 1 }, 0);
    sim.commit(nextSteps(sim.state, 0, [proxy('p1'), proxy('p2')], settings, sim.mint), 1, 0);
    const k = sim.state.keys[0]!;
    assert.equal(k.status, 'staged');
    assert.deepEqual(k.expected, ['p1', 'p2']);
    sim.commit(nextSteps(sim.state, 10, [proxy('p1', k.id), proxy('p2')], settings, sim.mint), 1, 10);
    assert.equal(sim.state.keys[0]!.status, 'staged', 'p2 does not hold it yet');
    assert.deepEqual(sim.state.keys[0]!.acks, ['p1']);
    sim.commit(nextSteps(sim.state, 20, [proxy('p1', k.id), proxy('p2', k.id)], settings, sim.mint), 1, 20);
    assert.equal(activeKey(sim.state)?.id, k.id);
    assert.deepEqual(sim.log.at(-1)!.data, { keyId: k.id, epoch: 1, acknowledgedBy: ['p1', 'p2'], term: 1 });
  });

  it('activates at the deadline, naming the proxies that did not answer', () => {
    const sim = new Sim();
    sim.record('leader_elected', { node: 'r1', term: 1 }, 0);
    sim.commit(nextSteps(sim.state, 0, [proxy('p1'), proxy('p2')], settings, sim.mint), 1, 0);
    const k = sim.state.keys[0]!;
    assert.equal(nextSteps(sim.state, settings.stageTimeoutMs - 1, [proxy('p1', k.id), proxy('p2')], settings, sim.mint).some((s) => s.fact === 'activated'), false);
    sim.commit(nextSteps(sim.state, settings.stageTimeoutMs, [proxy('p1', k.id), proxy('p2')], settings, sim.mint), 1, settings.stageTimeoutMs);
    const timedOut = sim.log.find((e) => e.type === 'tlsedge.ticketkey.stage_timed_out');
    assert.deepEqual((timedOut as CloudEvent<string, { missing: string[] }>).data.missing, ['p2']);
    assert.equal(activeKey(sim.state)?.id, k.id);
  });

  it('retires the previous key and removes the oldest beyond keep', () => {
    const sim = new Sim();
    sim.record('leader_elected', { node: 'r1', term: 1 }, 0);
    let now = 0;
    for (let i = 0; i < 4; i++) {
      sim.commit(nextSteps(sim.state, now, [], { ...settings, keep: 1 }, sim.mint), 1, now);
      sim.commit(nextSteps(sim.state, now, [], { ...settings, keep: 1 }, sim.mint), 1, now);
      now += settings.rotateEveryMs;
    }
    assert.deepEqual(sim.state.keys.map((k) => [k.epoch, k.status]), [[4, 'active'], [3, 'retired']]);
    assert.deepEqual(sim.state.removed.map((r) => r.epoch), [2, 1]);
  });

  it('imports keys in ATS order: the first will encrypt, the others only decrypt', () => {
    const sim = new Sim();
    sim.record('leader_elected', { node: 'r1', term: 1 }, 0);
    sim.commit(importSteps(sim.state, [{ id: 'first', sealed: 'a' }, { id: 'second', sealed: 'b' }, { id: 'third', sealed: 'c' }], 0, [], settings), 1, 0);
    assert.deepEqual(sim.state.keys.map((k) => [k.id, k.status]), [['first', 'staged'], ['second', 'retired'], ['third', 'retired']]);
    assert.ok(sim.state.keys[0]!.epoch > sim.state.keys[1]!.epoch);
    sim.commit(activationSteps(sim.state, 'first', [], settings), 1, 1);
    assert.equal(activeKey(sim.state)?.id, 'first');
  });
});
