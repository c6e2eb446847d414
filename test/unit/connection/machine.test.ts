import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createActor } from 'xstate';
import { connectionMachine, type ConnectionMachineEvent } from '../../../machines/connection/machine.js';

/** Facts recorded in a state that must leave it unchanged (per-request facts, the hello, the tunnel). */
const SELF_TRANSITIONS: Record<string, string[]> = {
  accept: ['client_hello_received'],
  tunneling: ['tunnel_opened'],
  established: ['request_refused', 'origin_failed'],
  originBound: ['origin_bound', 'request_completed', 'request_refused', 'origin_failed'],
};

function run(events: ConnectionMachineEvent[]): string[] {
  const actor = createActor(connectionMachine, { input: { id: 'c1' } }).start();
  const states = [String(actor.getSnapshot().value)];
  for (const e of events) {
    actor.send(e);
    states.push(String(actor.getSnapshot().value));
  }
  actor.stop();
  return states;
}

const policy = (tunnel: string | null = null): ConnectionMachineEvent => ({
  type: 'policy_selected', rule: 0, match: 'a.test', matchedBy: 'exact', certificate: 'a.test', certificateFingerprint: null, certificateBy: 'exact',
  engine: 'native', alpn: ['http/1.1'], tls: { min: '1.2', max: '1.3' }, clientCert: 'none', tunnel, policyId: 'p1',
});
const completed: ConnectionMachineEvent = { type: 'handshake_completed', version: '1.3', cipher: 'TLS_AES_128_GCM_SHA256', alpn: 'http/1.1', resumed: null, durationMs: 1 };
const bound = (request: number): ConnectionMachineEvent => ({ type: 'origin_bound', request, method: 'GET', host: 'a.test', path: '/', rule: 0, origin: 'http://o', poolKey: 'k', reused: false, originConnection: 'o1', sniSent: null });
const done = (request: number): ConnectionMachineEvent => ({ type: 'request_completed', request, status: 200, bytesIn: 1, bytesOut: 1, durationMs: 1 });
const closed: ConnectionMachineEvent = { type: 'closed', reason: 'client_closed', durationMs: 1, requests: 0, bytesIn: 0, bytesOut: 0, state: 'x' };

describe('connection statechart', () => {
  it('goes accept → handshaking → established → originBound → closed for a proxied request', () => {
    const states = run([policy(), completed, bound(1), done(1), closed]);
    assert.deepEqual(states, ['accept', 'handshaking', 'established', 'originBound', 'originBound', 'closed']);
  });

  it('stays originBound across keep-alive and concurrent requests', () => {
    const states = run([policy(), completed, bound(1), bound(2), done(1), done(2), bound(3)]);
    assert.deepEqual(states.slice(3), ['originBound', 'originBound', 'originBound', 'originBound', 'originBound']);
  });

  it('stays established for requests answered before any origin binding (404, 421, connect failure)', () => {
    const refused: ConnectionMachineEvent = { type: 'request_refused', request: 1, status: 404, reason: 'no_route', host: 'a.test', path: '/' };
    const states = run([policy(), completed, refused]);
    assert.equal(states.at(-1), 'established');
  });

  it('accepts per-request, hello and tunnel facts in their state without leaving it', () => {
    const reach: Record<string, ConnectionMachineEvent[]> = {
      accept: [],
      tunneling: [policy('127.0.0.1:1')],
      established: [policy(), completed],
      originBound: [policy(), completed, bound(1)],
    };
    const samples: Record<string, ConnectionMachineEvent> = {
      client_hello_received: { type: 'client_hello_received', sni: 'a.test' } as ConnectionMachineEvent,
      tunnel_opened: { type: 'tunnel_opened', backend: '127.0.0.1:1' },
      origin_bound: bound(2),
      request_completed: done(2),
      request_refused: { type: 'request_refused', request: 3, status: 421, reason: 'misdirected', host: 'b.test', path: '/' },
      origin_failed: { type: 'origin_failed', request: 4, status: 502, reason: 'connect_refused', origin: 'http://o', message: 'x' } as ConnectionMachineEvent,
    };
    let checked = 0;
    for (const [state, facts] of Object.entries(SELF_TRANSITIONS)) {
      for (const fact of facts) {
        const actor = createActor(connectionMachine, { input: { id: 'c1' } }).start();
        for (const e of reach[state]!) actor.send(e);
        assert.equal(actor.getSnapshot().value, state);
        const event = samples[fact]!;
        assert.equal(actor.getSnapshot().can(event), true, `${fact} is accepted in ${state}`);
        actor.send(event);
        assert.equal(actor.getSnapshot().value, state, `${fact} leaves ${state} unchanged`);
        actor.stop();
        checked++;
      }
    }
    assert.equal(checked, 8);
  });

  it('enters tunneling for a tunnel policy and never handshakes', () => {
    const states = run([policy('127.0.0.1:9443'), completed, closed]);
    assert.deepEqual(states, ['accept', 'tunneling', 'tunneling', 'closed']);
  });

  it('moves to handshakeOffloaded while a signature is pending and back when it completes', () => {
    const states = run([
      policy(),
      { type: 'handshake_offloaded', signer: 'tpm0', key: 'k', scheme: 'ecdsa_secp256r1_sha256' },
      { type: 'signature_completed', signer: 'tpm0', key: 'k', scheme: 'ecdsa_secp256r1_sha256', latencyMs: 5 },
      completed,
    ]);
    assert.deepEqual(states, ['accept', 'handshaking', 'handshakeOffloaded', 'handshaking', 'established']);
  });

  it('closes with the failure recorded when the handshake fails', () => {
    const actor = createActor(connectionMachine, { input: { id: 'c1' } }).start();
    actor.send(policy());
    actor.send({ type: 'handshake_failed', reason: 'no_application_protocol', stage: 'handshake', alert: 'no_application_protocol', message: 'x' });
    const snap = actor.getSnapshot();
    assert.equal(snap.value, 'closed');
    assert.equal(snap.status, 'done');
    assert.deepEqual(snap.context.failure, { stage: 'handshake', reason: 'no_application_protocol' });
  });

  it('ignores facts that are not legal in the current state', () => {
    const actor = createActor(connectionMachine, { input: { id: 'c1' } }).start();
    assert.equal(actor.getSnapshot().can(bound(1)), false, 'no request before a handshake');
    assert.equal(actor.getSnapshot().can(completed), false, 'no handshake before a policy');
    actor.send(bound(1));
    assert.equal(actor.getSnapshot().value, 'accept');
  });
});
