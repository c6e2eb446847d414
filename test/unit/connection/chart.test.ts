import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createActor } from 'xstate';
import type { ConnectionEventData } from '../../../actors/connection/events.js';
import { ConnectionChart } from '../../../machines/connection/chart.js';
import { connectionMachine, type ConnectionMachineEvent, type ConnectionMachineFact } from '../../../machines/connection/machine.js';

const policy = (tunnel: string | null): ConnectionEventData['policy_selected'] => ({
  rule: 0, match: 'a.test', matchedBy: 'exact', certificate: 'a.test', certificateFingerprint: null, certificateBy: 'exact',
  engine: 'native', alpn: ['http/1.1'], tls: { min: '1.2', max: '1.3' }, clientCert: 'none', tunnel, policyId: 'p1',
});

/** One sample of every fact the machine knows (two for policy_selected: its guard reads `tunnel`). */
const FACTS: Array<[ConnectionMachineFact, object]> = [
  ['client_hello_received', { sni: 'a.test' }],
  ['policy_selected', policy(null)],
  ['policy_selected', policy('127.0.0.1:9443')],
  ['tunnel_opened', { backend: '127.0.0.1:9443' }],
  ['handshake_offloaded', { signer: 's', key: 'k', scheme: 'ecdsa_secp256r1_sha256' }],
  ['signature_completed', { signer: 's', key: 'k', scheme: 'ecdsa_secp256r1_sha256', latencyMs: 1 }],
  ['handshake_completed', { version: '1.3', cipher: 'TLS_AES_128_GCM_SHA256', alpn: null, resumed: null, durationMs: 1 }],
  ['handshake_failed', { reason: 'x', stage: 'handshake', alert: null, message: 'x' }],
  ['origin_bound', { request: 1, method: 'GET', host: 'a.test', path: '/', rule: 0, origin: 'http://o', poolKey: 'k', reused: false, originConnection: 'o1', sniSent: null }],
  ['request_completed', { request: 1, status: 200, bytesIn: 1, bytesOut: 1, durationMs: 1 }],
  ['request_refused', { request: 1, status: 404, reason: 'no_route', host: 'a.test', path: '/' }],
  ['origin_failed', { request: 1, status: 502, reason: 'connect_refused', origin: 'http://o', message: 'x' }],
  ['closed', { reason: 'client_closed', durationMs: 1, requests: 0, bytesIn: 0, bytesOut: 0, state: 'x' }],
];

describe('ConnectionChart (the hot-path walk of the connection statechart)', () => {
  it('reaches the same state as an XState actor of the machine after every fact, for any sequence', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(FACTS.length - 1), { maxLength: 12 }), (picks) => {
        const actor = createActor(connectionMachine, { input: { id: 'c1' } }).start();
        const chart = new ConnectionChart();
        assert.equal(chart.state, actor.getSnapshot().value);
        for (const i of picks) {
          const [fact, data] = FACTS[i]!;
          actor.send({ type: fact, ...data } as ConnectionMachineEvent);
          chart.send(fact, data as never);
          assert.equal(chart.state, actor.getSnapshot().value, `after ${picks.map((p) => FACTS[p]![0]).join(', ')}`);
          assert.equal(chart.done, actor.getSnapshot().status === 'done');
        }
        actor.stop();
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps each connection on its own path while they share the memoised transitions', () => {
    const tunnel = new ConnectionChart();
    const tls = new ConnectionChart();
    tunnel.send('policy_selected', policy('127.0.0.1:9443'));
    tls.send('policy_selected', policy(null));
    assert.equal(tunnel.state, 'tunneling');
    assert.equal(tls.state, 'handshaking');
    tls.send('handshake_completed', { version: '1.3', cipher: 'TLS_AES_128_GCM_SHA256', alpn: null, resumed: null, durationMs: 1 });
    assert.equal(tls.state, 'established');
    assert.equal(tunnel.state, 'tunneling');
  });
});
