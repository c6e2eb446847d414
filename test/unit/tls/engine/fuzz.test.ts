import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createServer, handle } from '../../../../adapters/tls/engine/server/handle.js';
import { NodeCryptoProvider } from '../../../../adapters/tls/crypto/node-provider.js';
import type { EngineOutput } from '../../../../adapters/tls/engine/server/io.js';
import type { ServerState } from '../../../../adapters/tls/engine/server/state.js';
import { driver, policyWith } from '../support/engine-setup.js';
import { TestClient } from '../support/test-client.js';
import { missingTools } from '../../../support/requirements.js';

/** No engine bug shows up as internal_error, and a closed engine always said why. */
function checkOutputs(out: readonly EngineOutput[], closed: boolean): void {
  for (const o of out) {
    if (o.type === 'alert_sent') assert.notEqual(o.code, 'internal_error', o.reason);
  }
  if (closed) assert.ok(out.some((o) => o.type === 'closed'));
}

describe('offload engine under fuzzing', { skip: missingTools('openssl') }, () => {
  it('never throws on random bytes in any chunking', () => {
    const policy = policyWith();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 1, max: 64 }), fc.boolean(), (bytes, chunk, tlsLike) => {
        let state: ServerState = createServer({ provider: new NodeCryptoProvider(), policy });
        if (tlsLike && bytes.length > 5) {
          bytes[0] = 22;
          bytes[1] = 3;
          bytes[2] = 1;
        }
        const all: EngineOutput[] = [];
        for (let i = 0; i < bytes.length; i += chunk) {
          const step = handle(state, { type: 'received', data: bytes.subarray(i, i + chunk) });
          state = step.state;
          all.push(...step.out);
        }
        checkOutputs(all, state.kind === 'closed');
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on mutated ClientHellos and client flights', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 200 }),
        (edits, mutateHello, chunk) => {
          const d = driver();
          const client = new TestClient({ serverName: 'fuzz.example.test', sessionId: new Uint8Array(32) });
          const hello = client.helloRecords();
          if (mutateHello) for (const [at, v] of edits) hello[at % hello.length] = v;
          for (let i = 0; i < hello.length; i += chunk) d.feed(hello.subarray(i, i + chunk));
          if (!mutateHello && client.flight && d.state.kind === 'expect_finished') {
            client.receive(d.written());
            const flight = client.finish();
            for (const [at, v] of edits) flight[at % flight.length] = v;
            d.feed(flight);
          }
          assert.ok(['expect_client_hello', 'expect_finished', 'traffic', 'closed'].includes(d.state.kind), d.state.kind);
          checkOutputs(d.outputs, d.state.kind === 'closed');
        },
      ),
      { numRuns: 400 },
    );
  });
});
