// Fizz-style state tests: reach each server state, feed it one input of every kind, and check
// the outputs and the state it moves to.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineInput } from '../../../../adapters/tls/engine/server/io.js';
import type { ServerState } from '../../../../adapters/tls/engine/server/state.js';
import { CCS_RECORD } from '../../../../adapters/tls/engine/record/ccs.js';
import { driver, handshake, policyWith } from '../support/engine-setup.js';
import { signNow, type EngineDriver } from '../support/engine-driver.js';
import { testPki } from '../support/pki.js';
import { concat } from '../support/hello-builder.js';
import { TestClient } from '../support/test-client.js';
import { missingTools } from '../../../support/requirements.js';

type Kind = ServerState['kind'];

/** A driver in state `kind`, with the client that got it there. */
function reach(kind: Kind): { d: EngineDriver; client: TestClient } {
  const statefulPolicy = policyWith({ tickets: { mode: 'stateful', lifetimeSeconds: 600, count: 1, maxEarlyData: 0 } });
  switch (kind) {
    case 'expect_client_hello':
      return { d: driver(), client: new TestClient() };
    case 'awaiting_signature': {
      const d = driver();
      d.holdSignatures = true;
      const client = new TestClient();
      d.feed(client.helloRecords());
      return { d, client };
    }
    case 'awaiting_session': {
      const d1 = driver(statefulPolicy);
      const first = handshake(d1);
      const d = driver(statefulPolicy);
      const client = new TestClient({ resume: [first.ticket()] });
      d.feed(client.helloRecords());
      return { d, client };
    }
    case 'expect_finished': {
      const d = driver();
      const client = new TestClient();
      d.feed(client.helloRecords());
      client.receive(d.written());
      return { d, client };
    }
    case 'expect_certificate': {
      const d = driver(policyWith({ clientAuth: { mode: 'request', trustAnchors: [] } }));
      const client = new TestClient();
      d.feed(client.helloRecords());
      client.receive(d.written());
      return { d, client };
    }
    case 'traffic': {
      const d = driver();
      return { d, client: handshake(d) };
    }
    case 'closed': {
      const d = driver();
      d.feed(new Uint8Array([0x47, 0x45, 0x54, 0x20, 0x2f]));
      return { d, client: new TestClient() };
    }
    default:
      throw new Error(`no recipe for ${kind}`);
  }
}

const hostInputs: EngineInput[] = [
  { type: 'signature_ready', signature: new Uint8Array(64) },
  { type: 'signature_failed', reason: 'test' },
  { type: 'session_found', session: new Uint8Array(10) },
  { type: 'session_missing', reason: 'not_found' },
  { type: 'send', data: new Uint8Array([1]) },
  { type: 'key_update', requestPeer: false },
];

/** Which host inputs each state takes (the rest must be refused without side effects). */
const takes: Record<string, EngineInput['type'][]> = {
  expect_client_hello: [],
  awaiting_signature: ['signature_ready', 'signature_failed'],
  awaiting_session: ['session_found', 'session_missing'],
  expect_certificate: [],
  expect_finished: [],
  traffic: ['send', 'key_update'],
};

describe('offload engine states', { skip: missingTools('openssl') }, () => {
  for (const kind of Object.keys(takes) as Kind[]) {
    it(`${kind}: refuses the host inputs it does not take, unchanged`, () => {
      for (const input of hostInputs) {
        if (takes[kind]!.includes(input.type)) continue;
        const { d } = reach(kind);
        const out = d.input(input);
        assert.deepEqual(out, [{ type: 'input_refused', input: input.type, reason: out[0]?.type === 'input_refused' ? out[0].reason : '' }]);
        assert.equal(d.state.kind, kind);
      }
    });
  }

  it('closed: ignores bytes and EOF, refuses everything else', () => {
    const { d } = reach('closed');
    assert.deepEqual(d.feed(new Uint8Array([22, 3, 3, 0, 1, 1])), []);
    assert.deepEqual(d.input({ type: 'eof' }), []);
    assert.equal(d.input({ type: 'close' })[0]?.type, 'input_refused');
  });

  it('awaiting_signature: writes nothing and takes no records until the signature arrives', () => {
    const { d } = reach('awaiting_signature');
    assert.deepEqual(d.written(), new Uint8Array(0));
    assert.deepEqual(d.feed(CCS_RECORD), []);
    assert.equal(d.state.kind, 'awaiting_signature');
  });

  it('awaiting_signature: signature_failed sends a plaintext internal_error alert', () => {
    const { d } = reach('awaiting_signature');
    d.input({ type: 'signature_failed', reason: 'token removed' });
    assert.equal(d.alertSent(), 'internal_error');
    assert.deepEqual(d.written(), new Uint8Array([21, 3, 3, 0, 2, 2, 80]));
  });

  it('awaiting_signature: signature_ready writes the whole flight and takes the buffered records', () => {
    const d = driver();
    d.holdSignatures = true;
    const client = new TestClient({ sessionId: new Uint8Array(32) });
    d.feed(concat([client.helloRecords(), CCS_RECORD]));
    const request = d.last('sign_transcript')!;
    d.holdSignatures = false;
    d.input({ type: 'signature_ready', signature: signNow(testPki().server.p256.key, request.scheme, request.content) });
    assert.equal(d.state.kind, 'expect_finished');
    client.receive(d.written());
    assert.equal(client.flight.certificateVerify?.valid, true);
    d.feed(client.finish());
    assert.ok(d.last('handshake_completed'));
  });

  it('awaiting_signature: a signature of the wrong size is an internal_error', () => {
    const { d } = reach('awaiting_signature');
    d.input({ type: 'signature_ready', signature: new Uint8Array(0) });
    assert.equal(d.alertSent(), 'internal_error');
  });

  it('awaiting_session: holds records until the lookup is answered', () => {
    const { d } = reach('awaiting_session');
    assert.deepEqual(d.feed(CCS_RECORD), []);
    d.input({ type: 'session_missing', reason: 'timeout' });
    assert.equal(d.state.kind, 'expect_finished');
  });

  it('expect_certificate: refuses a Finished in place of a Certificate with unexpected_message', () => {
    const { d, client } = reach('expect_certificate');
    d.feed(client.finish({ skipCertificate: true }));
    assert.equal(d.alertSent(), 'unexpected_message');
  });

  it('expect_finished: a close_notify ends the handshake', () => {
    const { d, client } = reach('expect_finished');
    d.feed(client.handshakeRecord(new Uint8Array([1, 0]), 21));
    assert.equal(d.state.kind, 'closed');
    assert.equal(d.last('closed')?.reason, 'alert_received');
  });

  it('expect_client_hello: close from the host sends close_notify in plaintext', () => {
    const { d } = reach('expect_client_hello');
    d.input({ type: 'close' });
    assert.deepEqual(d.written(), new Uint8Array([21, 3, 3, 0, 2, 1, 0]));
    assert.equal(d.state.kind, 'closed');
  });
});
