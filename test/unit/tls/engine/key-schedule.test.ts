import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NodeCryptoProvider } from '../../../../adapters/tls/crypto/node-provider.js';
import { hkdfLabel } from '../../../../adapters/tls/engine/hkdf.js';
import { EarlySecret, finishedVerifyData, ticketPsk, trafficKeys } from '../../../../adapters/tls/engine/key-schedule.js';
import { suiteByCode } from '../../../../adapters/tls/engine/suites.js';
import { Transcript } from '../../../../adapters/tls/engine/transcript.js';
import { hex } from '../support/hello-builder.js';
import { vec } from '../support/rfc8448.js';

const p = new NodeCryptoProvider();
const suite = suiteByCode(0x1301)!;
const m = (name: string) => vec(`handshake_messages.${name}`);

describe('key schedule (RFC 8448 §3)', () => {
  it('derives every secret of the simple 1-RTT handshake', () => {
    const transcript = Transcript.start(p, 'sha256').add(m('client_hello')).add(m('server_hello'));
    assert.equal(hex(transcript.current()), hex(vec('transcript_hashes.ch_sh')));
    const early = EarlySecret.create(p, suite);
    const handshake = early.intoHandshake(vec('key_schedule.ecdhe_shared_secret'));
    const chs = handshake.clientHandshakeTrafficSecret(transcript.current());
    const shs = handshake.serverHandshakeTrafficSecret(transcript.current());
    assert.equal(hex(chs), hex(vec('key_schedule.client_handshake_traffic_secret.expanded')));
    assert.equal(hex(shs), hex(vec('key_schedule.server_handshake_traffic_secret.expanded')));
    const sk = trafficKeys(p, suite, shs);
    assert.equal(hex(sk.key), hex(vec('traffic_keys.server_handshake.key')));
    assert.equal(hex(sk.iv), hex(vec('traffic_keys.server_handshake.iv')));

    for (const name of ['encrypted_extensions', 'certificate', 'certificate_verify']) transcript.add(m(name));
    assert.equal(hex(finishedVerifyData(p, suite, shs, transcript.current())), hex(vec('finished.server.verify_data')));
    transcript.add(m('server_finished'));
    assert.equal(hex(transcript.current()), hex(vec('transcript_hashes.ch_through_server_finished')));

    const master = handshake.intoMaster();
    const cap = master.clientApplicationTrafficSecret(transcript.current());
    const sap = master.serverApplicationTrafficSecret(transcript.current());
    assert.equal(hex(cap), hex(vec('key_schedule.client_application_traffic_secret_0.expanded')));
    assert.equal(hex(sap), hex(vec('key_schedule.server_application_traffic_secret_0.expanded')));
    assert.equal(hex(master.exporterMasterSecret(transcript.current())), hex(vec('key_schedule.exporter_master_secret.expanded')));
    assert.equal(hex(trafficKeys(p, suite, cap).key), hex(vec('traffic_keys.client_application.key')));

    assert.equal(hex(finishedVerifyData(p, suite, chs, transcript.current())), hex(vec('finished.client.verify_data')));
    transcript.add(m('client_finished'));
    const rms = master.resumptionMasterSecret(transcript.current());
    assert.equal(hex(rms), hex(vec('key_schedule.resumption_master_secret.expanded')));
    assert.equal(hex(ticketPsk(p, suite, rms, new Uint8Array([0, 0]))), hex(vec('key_schedule.resumption_psk_for_ticket.expanded')));
  });

  it('refuses to use a stage after moving on from it', () => {
    const early = EarlySecret.create(p, suite);
    early.intoHandshake(new Uint8Array(32));
    assert.throws(() => early.intoHandshake(new Uint8Array(32)), { code: 'internal_error' });
    assert.throws(() => early.binderKey('resumption'), { code: 'internal_error' });
  });

  it('encodes HkdfLabel as RFC 8448 prints it', () => {
    assert.equal(hex(hkdfLabel('key', new Uint8Array(0), 16)), hex(vec('traffic_keys.server_handshake.key_info')));
    assert.equal(hex(hkdfLabel('finished', new Uint8Array(0), 32)), hex(vec('finished.server.info')));
  });
});

describe('key schedule (RFC 8448 §4 resumption)', () => {
  it('computes the PSK binder and the early secret of the resumed handshake', () => {
    const early = EarlySecret.create(p, suite, vec('resumed_0rtt.psk'));
    const binderKey = early.binderKey('resumption');
    assert.equal(hex(binderKey), hex(vec('resumed_0rtt.binder.binder_key')));
    const binderHash = p.hash('sha256', vec('resumed_0rtt.client_hello_truncated'));
    assert.equal(hex(binderHash), hex(vec('resumed_0rtt.binder.binder_hash')));
    assert.equal(hex(finishedVerifyData(p, suite, binderKey, binderHash)), hex(vec('resumed_0rtt.binder.binder')));
    const chHash = p.hash('sha256', vec('resumed_0rtt.client_hello'));
    assert.equal(hex(early.clientEarlyTrafficSecret(chHash)), hex(vec('resumed_0rtt.client_early_traffic_secret.expanded')));
  });
});
