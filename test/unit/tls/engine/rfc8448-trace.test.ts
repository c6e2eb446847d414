import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, handle } from '../../../../adapters/tls/engine/server/handle.js';
import type { EngineOutput } from '../../../../adapters/tls/engine/server/io.js';
import { serverPolicy } from '../../../../adapters/tls/engine/server/policy.js';
import type { ServerState } from '../../../../adapters/tls/engine/server/state.js';
import { SignatureScheme } from '../../../../adapters/tls/wire/enums.js';
import { certificateVerifyContent, decodeCertificateVerify } from '../../../../adapters/tls/engine/messages/certificate-verify.js';
import { Transcript } from '../../../../adapters/tls/engine/transcript.js';
import { NodeCryptoProvider } from '../../../../adapters/tls/crypto/node-provider.js';
import { concat, hex } from '../support/hello-builder.js';
import { num, vec } from '../support/rfc8448.js';
import { seededProvider } from '../support/seeded-provider.js';

const ageAdd = num('new_session_ticket.ticket_age_add');

function rfc8448Engine(): ServerState {
  const provider = seededProvider({
    server_random: vec('handshake_messages.server_hello').subarray(6, 38),
    key_share: vec('server_ephemeral_x25519.private_key'),
    ticket_age_add: new Uint8Array([ageAdd >>> 24, (ageAdd >>> 16) & 0xff, (ageAdd >>> 8) & 0xff, ageAdd & 0xff]),
  });
  const policy = serverPolicy({
    id: 'rfc8448',
    certificates: [{ chain: [vec('server_certificate_der')], key: { id: 'rsa', algorithm: 'rsa', schemes: [SignatureScheme.rsa_pss_rsae_sha256] } }],
    suites: [0x1301],
    groups: [0x001d],
    // RFC 8448's server lists these groups in EncryptedExtensions.
    advertisedGroups: [0x001d, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104],
    tickets: { mode: 'stateless', lifetimeSeconds: num('new_session_ticket.ticket_lifetime'), count: 1, maxEarlyData: 1024 },
  });
  return createServer({
    provider,
    policy,
    clock: { now: () => 1_700_000_000_000 },
    // The RFC's ticket is opaque to us: a port that hands it out reproduces the NewSessionTicket record.
    tickets: { seal: () => vec('new_session_ticket.ticket'), open: () => undefined, keyNameOf: () => undefined },
  });
}

function only<T extends EngineOutput['type']>(out: EngineOutput[], type: T): Extract<EngineOutput, { type: T }> {
  const matching = out.filter((o) => o.type === type);
  assert.equal(matching.length, 1, `expected one ${type} in ${out.map((o) => o.type).join(',')}`);
  return matching[0] as Extract<EngineOutput, { type: T }>;
}

describe('offload engine on the RFC 8448 §3 trace', () => {
  it('reproduces every server record byte for byte', () => {
    let state = rfc8448Engine();
    let step = handle(state, { type: 'received', data: vec('records.client_hello.record') });
    state = step.state;
    assert.equal(state.kind, 'awaiting_signature');
    // Nothing is written before the signature: the flight goes out whole.
    assert.deepEqual(step.out.map((o) => o.type), ['sign_transcript']);
    const request = only(step.out, 'sign_transcript');
    assert.equal(request.keyId, 'rsa');
    assert.equal(request.scheme, SignatureScheme.rsa_pss_rsae_sha256);

    // The content to sign is §4.4.3's, over the transcript through Certificate.
    const p = new NodeCryptoProvider();
    const t = Transcript.start(p, 'sha256');
    for (const m of ['client_hello', 'server_hello', 'encrypted_extensions', 'certificate']) t.add(vec(`handshake_messages.${m}`));
    assert.equal(hex(request.content), hex(certificateVerifyContent('server', t.current())));
    // …and the RFC's own (randomised PSS) signature verifies over it.
    const rfcSignature = decodeCertificateVerify(vec('handshake_messages.certificate_verify')).signature;
    assert.ok(p.verifySignature(request.scheme, vec('server_certificate_der'), request.content, rfcSignature));

    step = handle(state, { type: 'signature_ready', signature: rfcSignature });
    state = step.state;
    assert.equal(state.kind, 'expect_finished');
    assert.equal(hex(only(step.out, 'write').data), hex(concat([vec('records.server_hello.record'), vec('records.server_encrypted_handshake.record')])));

    step = handle(state, { type: 'received', data: vec('records.client_finished.record') });
    state = step.state;
    assert.equal(state.kind, 'traffic');
    const done = only(step.out, 'handshake_completed');
    assert.deepEqual(
      { suite: done.suite, group: done.group, scheme: done.signatureScheme, sni: done.sni, resumed: done.resumed, alpn: done.alpn },
      { suite: 'TLS_AES_128_GCM_SHA256', group: 'x25519', scheme: 'rsa_pss_rsae_sha256', sni: 'server', resumed: null, alpn: null },
    );
    assert.equal(hex(only(step.out, 'write').data), hex(vec('records.server_new_session_ticket.record')));

    step = handle(state, { type: 'received', data: vec('records.client_application_data.record') });
    state = step.state;
    assert.equal(hex(only(step.out, 'application_data').data), hex(vec('application_data.client')));

    step = handle(state, { type: 'send', data: vec('application_data.server') });
    state = step.state;
    assert.equal(hex(only(step.out, 'write').data), hex(vec('records.server_application_data.record')));

    step = handle(state, { type: 'received', data: vec('records.client_alert_close_notify.record') });
    state = step.state;
    assert.deepEqual(only(step.out, 'peer_closed'), { type: 'peer_closed', closeNotify: true });
    assert.equal(state.kind, 'traffic');

    step = handle(state, { type: 'close' });
    assert.equal(step.state.kind, 'closed');
    assert.equal(hex(only(step.out, 'write').data), hex(vec('records.server_alert_close_notify.record')));
    assert.deepEqual(only(step.out, 'closed'), { type: 'closed', reason: 'close_notify' });
  });

  it('produces the same records when the client bytes arrive one at a time', () => {
    let state = rfc8448Engine();
    const writes: Uint8Array[] = [];
    const feed = (bytes: Uint8Array) => {
      for (const b of bytes) {
        const step = handle(state, { type: 'received', data: new Uint8Array([b]) });
        state = step.state;
        for (const o of step.out) if (o.type === 'write') writes.push(o.data);
        const sign = step.out.find((o) => o.type === 'sign_transcript');
        if (sign) {
          const s = handle(state, { type: 'signature_ready', signature: decodeCertificateVerify(vec('handshake_messages.certificate_verify')).signature });
          state = s.state;
          for (const o of s.out) if (o.type === 'write') writes.push(o.data);
        }
      }
    };
    feed(vec('records.client_hello.record'));
    feed(vec('records.client_finished.record'));
    assert.equal(state.kind, 'traffic');
    assert.equal(
      hex(concat(writes)),
      hex(concat([vec('records.server_hello.record'), vec('records.server_encrypted_handshake.record'), vec('records.server_new_session_ticket.record')])),
    );
  });
});
