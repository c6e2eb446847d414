import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CipherSuite, ExtensionType, NamedGroup, SignatureScheme } from '../../../../adapters/tls/wire/enums.js';
import { plaintextRecords } from '../../../../adapters/tls/engine/record/fragmenter.js';
import { findExtension } from '../../../../adapters/tls/wire/extensions/list.js';
import { decodeEarlyDataTicket } from '../../../../adapters/tls/wire/extensions/early-data.js';
import { CCS_RECORD } from '../../../../adapters/tls/engine/record/ccs.js';
import { encodeKeyUpdate } from '../../../../adapters/tls/engine/messages/key-update.js';
import { clock, driver, handshake, policyWith } from '../support/engine-setup.js';
import { concat, hex } from '../support/hello-builder.js';
import { testPki } from '../support/pki.js';
import { TestClient } from '../support/test-client.js';
import { missingTools } from '../../../support/requirements.js';

const text = (s: string) => new TextEncoder().encode(s);
const skip = missingTools('openssl');

describe('offload engine: full handshakes', { skip }, () => {
  for (const suite of [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_CHACHA20_POLY1305_SHA256]) {
    for (const group of [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1]) {
      it(`completes with suite 0x${suite.toString(16)} and group 0x${group.toString(16)} and carries data both ways`, () => {
        const d = driver();
        const client = handshake(d, { suites: [suite], groups: [group], serverName: 'www.example.test' });
        assert.equal(client.flight.certificateVerify?.valid, true);
        assert.equal(client.flight.finishedValid, true);
        const done = d.last('handshake_completed')!;
        assert.equal(done.sni, 'www.example.test');
        assert.equal(done.resumed, null);
        assert.equal(d.state.kind, 'traffic');
        d.feed(client.send(text('ping')));
        assert.equal(new TextDecoder().decode(d.last('application_data')!.data), 'ping');
        d.input({ type: 'send', data: text('pong') });
        client.receive(d.written());
        assert.equal(new TextDecoder().decode(client.flight.appData.at(-1)), 'pong');
      });
    }
  }

  for (const [kind, scheme] of [['p256', SignatureScheme.ecdsa_secp256r1_sha256], ['p384', SignatureScheme.ecdsa_secp384r1_sha384], ['rsa2048', SignatureScheme.rsa_pss_rsae_sha256], ['ed25519', SignatureScheme.ed25519]] as const) {
    it(`signs with a ${kind} key using ${scheme.toString(16)} and the client verifies it`, () => {
      const d = driver(policyWith({}, [kind]));
      const client = handshake(d);
      assert.equal(client.flight.certificateVerify?.scheme, scheme);
      assert.equal(client.flight.certificateVerify?.valid, true);
      assert.equal(d.last('handshake_completed')?.signatureScheme !== null, true);
    });
  }

  it('picks the certificate whose key can sign what the client accepts', () => {
    const d = driver(policyWith({}, ['p256', 'rsa2048']));
    const client = handshake(d, { signatureAlgorithms: [SignatureScheme.rsa_pss_rsae_sha256] });
    assert.equal(client.flight.certificateVerify?.scheme, SignatureScheme.rsa_pss_rsae_sha256);
    assert.equal(hex(client.flight.certificateChain![0]!), hex(testPki().server.rsa2048.chain[0]!));
  });

  it('refuses a client whose signature algorithms no key can produce with handshake_failure', () => {
    const d = driver(policyWith({}, ['p256']));
    handshake(d, { signatureAlgorithms: [SignatureScheme.ed25519] });
    assert.equal(d.alertSent(), 'handshake_failure');
    assert.equal(d.state.kind, 'closed');
  });

  it('sends a compatibility CCS after the ServerHello when the client sent a session id', () => {
    const d = driver();
    const client = handshake(d, { sessionId: new Uint8Array(32).fill(3) });
    assert.equal(client.flight.ccs, 1);
    assert.equal(hex(client.flight.serverHello!.legacySessionIdEcho), hex(new Uint8Array(32).fill(3)));
    const plain = handshake(driver());
    assert.equal(plain.flight.ccs, 0);
  });

  it('negotiates ALPN in policy order and refuses a client with none in common (no_application_protocol)', () => {
    const d = driver(policyWith({ alpn: ['h2', 'http/1.1'] }));
    const client = handshake(d, { alpn: ['http/1.1', 'h2'] });
    assert.equal(client.negotiatedAlpn(), 'h2');
    assert.equal(d.last('handshake_completed')?.alpn, 'h2');
    const refused = driver(policyWith({ alpn: ['http/1.1'] }));
    handshake(refused, { alpn: ['h2'] });
    assert.equal(refused.alertSent(), 'no_application_protocol');
    const none = driver(policyWith({ alpn: ['h2'] }));
    assert.equal(handshake(none).negotiatedAlpn(), undefined);
  });

  it('honours the client record_size_limit when writing', () => {
    const d = driver();
    const client = handshake(d, { recordSizeLimit: 64 });
    assert.equal(d.last('handshake_completed') !== undefined, true);
    const rsl = findExtension(client.flight.extensions!, ExtensionType.record_size_limit);
    assert.ok(rsl, 'server answers record_size_limit');
    d.input({ type: 'send', data: new Uint8Array(1000).fill(1) });
    const bytes = d.written();
    let records = 0;
    for (let i = 0; i < bytes.length; ) {
      const length = (bytes[i + 3]! << 8) | bytes[i + 4]!;
      assert.ok(length - 16 <= 64, `inner plaintext of ${length - 16} bytes`);
      i += 5 + length;
      records++;
    }
    assert.equal(records, Math.ceil(1000 / 63));
    client.receive(bytes);
    assert.equal(concat(client.flight.appData).length, 1000);
  });
});

describe('offload engine: HelloRetryRequest', { skip }, () => {
  it('asks for the preferred group with a cookie and completes on the second hello', () => {
    const d = driver(policyWith({ groups: [NamedGroup.x25519, NamedGroup.secp256r1] }));
    const client = handshake(d, { groups: [NamedGroup.secp384r1, NamedGroup.secp256r1], shareGroups: [NamedGroup.secp384r1], sessionId: new Uint8Array(32) });
    assert.ok(client.flight.helloRetry);
    assert.ok(findExtension(client.flight.helloRetry.extensions, ExtensionType.cookie));
    assert.equal(client.flight.ccs, 1, 'one compatibility CCS, after the HelloRetryRequest');
    const done = d.last('handshake_completed')!;
    assert.equal(done.helloRetry, true);
    assert.equal(done.group, 'secp256r1');
  });

  it('refuses a second hello without our cookie with illegal_parameter', () => {
    const d = driver(policyWith({ groups: [NamedGroup.x25519] }));
    const client = new TestClient({ groups: [NamedGroup.secp256r1, NamedGroup.x25519], shareGroups: [NamedGroup.secp256r1] });
    d.feed(client.helloRecords());
    client.receive(d.written());
    assert.ok(client.flight.helloRetry);
    const second = new TestClient({ groups: [NamedGroup.x25519] }); // fresh client: no cookie
    d.feed(second.helloRecords());
    assert.equal(d.alertSent(), 'illegal_parameter');
  });

  it('refuses a client with no group in common with handshake_failure', () => {
    const d = driver(policyWith({ groups: [NamedGroup.x25519] }));
    handshake(d, { groups: [NamedGroup.secp384r1] });
    assert.equal(d.alertSent(), 'handshake_failure');
  });
});

describe('offload engine: resumption', { skip }, () => {
  const ticketPolicy = () => policyWith({ tickets: { mode: 'stateless', lifetimeSeconds: 3600, count: 2, maxEarlyData: 0 } });

  it('sends both tickets in one protected record', () => {
    const d = driver(ticketPolicy());
    const client = handshake(d, { serverName: 'a.example.test' });
    assert.equal(client.flight.tickets.length, 2);
    const lastTicket = d.outputs.map((o) => o.type).lastIndexOf('ticket_issued');
    const write = d.outputs.slice(lastTicket).find((o) => o.type === 'write');
    assert.ok(write && write.type === 'write', 'the tickets are written after they are issued');
    const records: number[] = [];
    for (let at = 0; at < write.data.length; at += 5 + ((write.data[at + 3]! << 8) | write.data[at + 4]!)) records.push(write.data[at]!);
    assert.deepEqual(records, [23], 'one application_data record');
  });

  it('issues tickets and resumes from one without a certificate', () => {
    const first = handshake(driver(ticketPolicy()), { serverName: 'a.example.test' });
    assert.equal(first.flight.tickets.length, 2);
    const d = driver(ticketPolicy());
    const second = handshake(d, { serverName: 'a.example.test', resume: [first.ticket(1)] });
    assert.equal(second.flight.certificateChain, undefined);
    assert.equal(second.flight.finishedValid, true);
    const done = d.last('handshake_completed')!;
    assert.equal(done.resumed, 'ticket');
    assert.ok(done.ticketKeyName);
    assert.equal(findExtension(second.flight.serverHello!.extensions, ExtensionType.pre_shared_key)?.data[1], 0);
  });

  it('falls back to a full handshake for an unknown PSK identity', () => {
    const first = handshake(driver(ticketPolicy()));
    const forged = { ...first.ticket(), ticket: new Uint8Array(randomBytes(120)) };
    const d = driver(ticketPolicy());
    const client = handshake(d, { resume: [forged] });
    assert.equal(client.flight.certificateVerify?.valid, true);
    assert.equal(d.last('handshake_completed')?.resumed, null);
  });

  it('skips an unknown identity and resumes with the next one', () => {
    const first = handshake(driver(ticketPolicy()));
    const forged = { ...first.ticket(), ticket: new Uint8Array(randomBytes(120)) };
    const d = driver(ticketPolicy());
    const client = handshake(d, { resume: [forged, first.ticket()] });
    assert.equal(d.last('handshake_completed')?.resumed, 'ticket');
    assert.equal(findExtension(client.flight.serverHello!.extensions, ExtensionType.pre_shared_key)?.data[1], 1);
  });

  it('aborts with decrypt_error on a bad binder', () => {
    const first = handshake(driver(ticketPolicy()));
    const d = driver(ticketPolicy());
    handshake(d, { resume: [first.ticket()], badBinder: 0 });
    assert.equal(d.alertSent(), 'decrypt_error');
    assert.equal(d.state.kind, 'closed');
  });

  it('does a full handshake when the ticket was issued for another name', () => {
    const first = handshake(driver(ticketPolicy()), { serverName: 'a.example.test' });
    const d = driver(ticketPolicy());
    handshake(d, { serverName: 'b.example.test', resume: [first.ticket()] });
    assert.equal(d.last('handshake_completed')?.resumed, null);
  });

  it('does a full handshake when the ticket has expired', () => {
    const first = handshake(driver(ticketPolicy()));
    clock.offset = 3601_000;
    try {
      const d = driver(ticketPolicy());
      handshake(d, { resume: [first.ticket()] });
      assert.equal(d.last('handshake_completed')?.resumed, null);
    } finally {
      clock.offset = 0;
    }
  });

  it('does a full handshake when the client reports a ticket age beyond its lifetime', () => {
    const first = handshake(driver(ticketPolicy()));
    const stale = { ...first.ticket(), receivedAtMs: Date.now() - 2 * 3600_000 };
    const d = driver(ticketPolicy());
    handshake(d, { resume: [stale] });
    assert.equal(d.last('handshake_completed')?.resumed, null);
  });

  it('resumes a stateful session through lookup_session and session_found', () => {
    const policy = policyWith({ tickets: { mode: 'stateful', lifetimeSeconds: 600, count: 1, maxEarlyData: 0 } });
    const d1 = driver(policy);
    const first = handshake(d1);
    const stored = d1.last('store_session')!;
    assert.equal(stored.identity.length, 32);
    assert.equal(hex(first.flight.tickets[0]!.ticket), hex(stored.identity));

    const d2 = driver(policy);
    const client = new TestClient({ resume: [first.ticket()] });
    d2.feed(client.helloRecords());
    const lookup = d2.last('lookup_session')!;
    assert.equal(hex(lookup.identity), hex(stored.identity));
    assert.equal(d2.state.kind, 'awaiting_session');
    d2.input({ type: 'session_found', session: stored.session });
    client.receive(d2.written());
    d2.feed(client.finish());
    assert.equal(d2.last('handshake_completed')?.resumed, 'session');

    const d3 = driver(policy);
    const c3 = new TestClient({ resume: [first.ticket()] });
    d3.feed(c3.helloRecords());
    d3.input({ type: 'session_missing', reason: 'timeout' });
    c3.receive(d3.written());
    d3.feed(c3.finish());
    assert.equal(d3.last('handshake_completed')?.resumed, null);
  });
});

describe('offload engine: 0-RTT is refused', { skip }, () => {
  it('skips early data by trial decryption and completes the handshake without delivering it', () => {
    const policy = policyWith({ tickets: { mode: 'stateless', lifetimeSeconds: 3600, count: 1, maxEarlyData: 1024 } });
    const first = handshake(driver(policy));
    const nst = first.flight.tickets[0]!;
    assert.equal(decodeEarlyDataTicket(findExtension(nst.extensions, ExtensionType.early_data)!.data), 1024);
    const d = driver(policy);
    const client = new TestClient({ resume: [first.ticket()], earlyData: true });
    const hello = client.helloRecords();
    d.feed(concat([hello, client.earlyData(text('GET / HTTP/1.1\r\n\r\n')), client.earlyData(text('more'))]));
    client.receive(d.written());
    assert.equal(findExtension(client.flight.extensions!, ExtensionType.early_data), undefined, 'no early_data in EncryptedExtensions');
    assert.equal(d.outputs.filter((o) => o.type === 'early_data_skipped').length, 2);
    d.feed(client.finish());
    assert.equal(d.last('handshake_completed')?.resumed, 'ticket');
    assert.equal(d.last('application_data'), undefined);
  });

  it('aborts with unexpected_message when the skipped early data exceeds max_early_data', () => {
    const policy = policyWith({ tickets: { mode: 'stateless', lifetimeSeconds: 3600, count: 1, maxEarlyData: 100 } });
    const first = handshake(driver(policy));
    const d = driver(policy);
    const client = new TestClient({ resume: [first.ticket()], earlyData: true });
    d.feed(concat([client.helloRecords(), client.earlyData(new Uint8Array(80)), client.earlyData(new Uint8Array(80))]));
    assert.equal(d.alertSent(), 'unexpected_message');
  });

  it('answers a bad record with bad_record_mac when no early data was announced', () => {
    const d = driver();
    const client = new TestClient();
    d.feed(client.helloRecords());
    client.receive(d.written());
    d.feed(new Uint8Array([23, 3, 3, 0, 20, ...randomBytes(20)]));
    assert.equal(d.alertSent(), 'bad_record_mac');
  });
});

describe('offload engine: refusals', { skip }, () => {
  it('refuses a bad client Finished with decrypt_error', () => {
    const d = driver();
    handshake(d, {}, { corruptFinished: true });
    assert.equal(d.alertSent(), 'decrypt_error');
    assert.equal(d.last('closed')?.reason, 'alert_sent');
    assert.equal(d.last('handshake_completed'), undefined);
  });

  it('refuses a ClientHello without supported_versions (TLS 1.2 client) with protocol_version in plaintext', () => {
    const d = driver();
    const client = new TestClient({ omitSupportedVersions: true });
    d.feed(client.helloRecords());
    assert.equal(d.alertSent(), 'protocol_version');
    assert.equal(hex(d.written()), hex(new Uint8Array([21, 3, 3, 0, 2, 2, 70])));
  });

  it('refuses a duplicated extension with illegal_parameter and closes', () => {
    const d = driver();
    const dup = { type: ExtensionType.server_name, data: new Uint8Array([0, 5, 0, 0, 2, 0x61, 0x62]) };
    const client = new TestClient({ extraExtensions: [dup, dup] });
    d.feed(client.helloRecords());
    assert.equal(d.alertSent(), 'illegal_parameter');
    assert.equal(d.last('alert_sent')?.code, 'duplicate_extension');
    assert.equal(d.state.kind, 'closed');
  });

  it('waits on a truncated record and closes on EOF', () => {
    const d = driver();
    const hello = new TestClient().helloRecords();
    assert.deepEqual(d.feed(hello.subarray(0, hello.length - 1)), []);
    const out = d.input({ type: 'eof' });
    assert.deepEqual(out, [{ type: 'closed', reason: 'eof' }]);
  });

  it('refuses an oversized record with record_overflow', () => {
    const d = driver();
    d.feed(new Uint8Array([22, 3, 1, 0x41, 0x01]));
    assert.equal(d.alertSent(), 'record_overflow');
  });

  it('refuses an unknown content type with unexpected_message', () => {
    const d = driver();
    d.feed(new Uint8Array([24, 3, 3, 0, 1, 0]));
    assert.equal(d.alertSent(), 'unexpected_message');
  });

  it('answers garbage after the handshake with an alert, never a crash', () => {
    for (let i = 0; i < 50; i++) {
      const d = driver();
      handshake(d);
      d.feed(new Uint8Array(randomBytes(1 + (i * 37) % 300)));
      assert.ok(['traffic', 'closed'].includes(d.state.kind));
      if (d.state.kind === 'closed') assert.ok(['bad_record_mac', 'unexpected_message', 'record_overflow', 'decode_error'].includes(d.alertSent()!), d.alertSent());
    }
  });

  it('refuses application data before the client Finished with unexpected_message', () => {
    const d = driver();
    const client = new TestClient();
    d.feed(client.helloRecords());
    client.receive(d.written());
    d.feed(client.handshakeRecord(text('early'), 23));
    assert.equal(d.alertSent(), 'unexpected_message');
  });

  it('refuses a CCS record with a payload other than 0x01', () => {
    const d = driver();
    const client = new TestClient();
    d.feed(client.helloRecords());
    d.feed(new Uint8Array([20, 3, 3, 0, 1, 2]));
    assert.equal(d.alertSent(), 'unexpected_message');
  });

  it('drops compatibility CCS records during the handshake', () => {
    const d = driver();
    const client = new TestClient({ sessionId: new Uint8Array(32) });
    d.feed(concat([client.helloRecords(), CCS_RECORD]));
    client.receive(d.written());
    d.feed(client.finish());
    assert.ok(d.last('handshake_completed'));
  });

  it('refuses a ClientHello whose record is followed by more handshake bytes with unexpected_message', () => {
    const d = driver();
    const hello = new TestClient().hello();
    d.feed(concat(plaintextRecords(22, concat([hello, new Uint8Array([20, 0, 0, 0])]))));
    assert.equal(d.alertSent(), 'unexpected_message');
  });

  it('refuses a connection the policy selector turns away with its alert', () => {
    const d = driver((hello) => (hello.serverName === 'ok.example.test' ? policyWith() : { refuse: 'unrecognized_name', reason: 'no such name' }));
    handshake(d, { serverName: 'other.example.test' });
    assert.equal(d.alertSent(), 'unrecognized_name');
  });
});

describe('offload engine: traffic', { skip }, () => {
  it('answers a KeyUpdate that requests one with its own and keeps exchanging data', () => {
    const d = driver();
    const client = handshake(d);
    d.feed(client.keyUpdate(true));
    assert.deepEqual(d.outputs.filter((o) => o.type === 'key_updated').map((o) => (o as { direction: string }).direction), ['read', 'write']);
    client.receive(d.written());
    assert.equal(client.flight.keyUpdates, 1);
    d.feed(client.send(text('after')));
    assert.equal(new TextDecoder().decode(d.last('application_data')!.data), 'after');
    d.input({ type: 'send', data: text('back') });
    client.receive(d.written());
    assert.equal(new TextDecoder().decode(client.flight.appData.at(-1)), 'back');
  });

  it('sends a KeyUpdate on request of the host', () => {
    const d = driver();
    const client = handshake(d);
    d.input({ type: 'key_update', requestPeer: false });
    d.input({ type: 'send', data: text('x') });
    client.receive(d.written());
    assert.equal(client.flight.keyUpdates, 1);
    assert.equal(new TextDecoder().decode(client.flight.appData.at(-1)), 'x');
  });

  it('refuses a KeyUpdate followed by more handshake bytes in its record (key change mid-record) with unexpected_message', () => {
    const d = driver();
    const client = handshake(d);
    d.feed(client.applicationRecord(22, concat([encodeKeyUpdate(false), encodeKeyUpdate(false)])));
    assert.equal(d.alertSent(), 'unexpected_message');
  });

  it('refuses a KeyUpdate with an invalid request_update with illegal_parameter', () => {
    const d = driver();
    const client = handshake(d);
    d.feed(client.applicationRecord(22, new Uint8Array([24, 0, 0, 1, 2])));
    assert.equal(d.alertSent(), 'illegal_parameter');
  });

  it('refuses a NewSessionTicket from the client with unexpected_message', () => {
    const d = driver();
    const client = handshake(d);
    d.feed(client.applicationRecord(22, new Uint8Array([4, 0, 0, 0])));
    assert.equal(d.alertSent(), 'unexpected_message');
  });

  it('closes cleanly when both sides send close_notify', () => {
    const d = driver();
    const client = handshake(d);
    d.input({ type: 'close' });
    assert.equal(d.state.kind, 'traffic');
    client.receive(d.written());
    assert.deepEqual(client.flight.alerts.at(-1), { level: 1, description: 0 });
    d.feed(client.closeNotify());
    assert.equal(d.state.kind, 'closed');
    assert.equal(d.last('closed')?.reason, 'close_notify');
    assert.deepEqual(d.input({ type: 'send', data: text('late') }), [{ type: 'input_refused', input: 'send', reason: 'connection closed' }]);
  });

  it('reports EOF without close_notify as a peer close that was not clean', () => {
    const d = driver();
    handshake(d);
    d.input({ type: 'eof' });
    assert.deepEqual(d.last('peer_closed'), { type: 'peer_closed', closeNotify: false });
    assert.equal(d.state.kind, 'traffic');
    d.input({ type: 'close' });
    assert.equal(d.state.kind, 'closed');
  });

  it('reports a fatal alert from the client and closes without answering', () => {
    const d = driver();
    const client = handshake(d);
    d.feed(client.send(new Uint8Array(0)));
    const before = d.outputs.length;
    d.feed(client.applicationRecord(21, new Uint8Array([2, 40])));
    assert.equal(d.state.kind, 'closed');
    assert.equal(d.last('alert_received')?.name, 'handshake_failure');
    assert.equal(d.outputs.slice(before).some((o) => o.type === 'alert_sent'), false);
  });
});
