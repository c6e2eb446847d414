import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { helloFacts } from '../../../../adapters/tls/hello/facts.js';
import { encodeJson } from '../../../../bus/event-json.js';
import { ja4 } from '../../../../adapters/tls/hello/ja4.js';
import { decodeClientHello } from '../../../../adapters/tls/wire/client-hello.js';
import { CipherSuite, NamedGroup, ProtocolVersion } from '../../../../adapters/tls/wire/enums.js';
import { buildHello } from '../support/hello-builder.js';

const decode = (o: Parameters<typeof buildHello>[0]) => decodeClientHello(buildHello(o));

describe('ClientHello facts', () => {
  it('shares per-client facts between connections but keeps each connection’s own (SNI, ALPN, session id)', () => {
    const a = helloFacts(decode({ serverName: 'a.test', alpn: ['h2', 'http/1.1'], sessionId: new Uint8Array(32) }), 1);
    const b = helloFacts(decode({ serverName: 'b.test', alpn: ['h2'], sessionId: new Uint8Array(0) }), 2);
    assert.deepEqual([a.sni, b.sni], ['a.test', 'b.test']);
    assert.deepEqual([a.alpn, b.alpn], [['h2', 'http/1.1'], ['h2']]);
    assert.deepEqual([a.sessionIdLength, b.sessionIdLength, a.records, b.records], [32, 0, 1, 2]);
    assert.deepEqual(a.cipherSuites, b.cipherSuites);
    assert.ok(Object.isFrozen(a.cipherSuites), 'shared lists cannot be changed by one consumer for all');
  });

  it('computes the same JA4 through the shape cache as directly, for every shape it sees', () => {
    const shapes = [
      { serverName: 'x.test', alpn: ['h2'] },
      { serverName: 'x.test', alpn: ['http/1.1'] },
      { alpn: ['h2'] },
      { serverName: 'x.test', suites: [0x0a0a, CipherSuite.TLS_AES_128_GCM_SHA256] },
      { serverName: 'x.test', suites: [0x1a1a, CipherSuite.TLS_AES_128_GCM_SHA256] },
      { serverName: 'x.test', versions: [ProtocolVersion.TLS1_3, ProtocolVersion.TLS1_2], groups: [NamedGroup.secp384r1] },
    ];
    for (const o of shapes) {
      const hello = decode(o);
      assert.equal(helloFacts(hello, 1).ja4, ja4(hello), JSON.stringify(o));
      assert.equal(helloFacts(decode(o), 1).ja4, ja4(hello), 'second connection of the same shape');
    }
  });

  it('keeps apart shapes whose values only move between lists, and shares shapes that differ only in GREASE', () => {
    const suites = [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384];
    const a = helloFacts(decode({ serverName: 'a.test', suites, groups: [NamedGroup.x25519] }), 1);
    const b = helloFacts(decode({ serverName: 'a.test', suites: suites.slice(0, 1), groups: [suites[1]!, NamedGroup.x25519] }), 1);
    assert.notDeepEqual(a.cipherSuites, b.cipherSuites);
    const g1 = helloFacts(decode({ serverName: 'a.test', suites: [0x2a2a, ...suites] }), 1);
    const g2 = helloFacts(decode({ serverName: 'a.test', suites: [0xfafa, ...suites] }), 1);
    assert.equal(g1.cipherSuites, g2.cipherSuites, 'one shared shape');
    const noAlpn = helloFacts(decode({ serverName: 'a.test' }), 1);
    const alpn = helloFacts(decode({ serverName: 'a.test', alpn: ['h2'] }), 1);
    assert.notEqual(noAlpn.ja4, alpn.ja4);
  });

  it('writes its own JSON text exactly as JSON.stringify would, for every kind of hello', () => {
    const ticket = new Uint8Array(48).fill(0xab);
    const kinds: Array<Parameters<typeof buildHello>[0]> = [
      { serverName: 'a.test', alpn: ['h2', 'http/1.1'] },
      { serverName: 'a.test', alpn: ['h2', 'http/1.1'] }, // the same shape again: served from the cache
      { alpn: ['\u0000"quoted\\'] }, // no SNI; an ALPN name that needs escaping
      { serverName: 'b.test', suites: [0x0a0a, CipherSuite.TLS_AES_128_GCM_SHA256, 0xc02b], groups: [0x1a1a, NamedGroup.x25519] },
      { serverName: 'c.test', versions: [ProtocolVersion.TLS1_2], sessionId: new Uint8Array(0), extra: [{ type: 35, data: ticket }] },
      { serverName: 'd.test', psk: { identities: [{ identity: ticket, obfuscatedTicketAge: 7 }], binders: [new Uint8Array(32)] } },
    ];
    for (const kind of kinds) {
      const facts = helloFacts(decode(kind), 2);
      assert.equal(encodeJson(facts), JSON.stringify(facts), JSON.stringify(kind));
    }
  });

  it('falls back to JSON.stringify when a consumer replaced a shared field or copied the facts', () => {
    const facts = helloFacts(decode({ serverName: 'a.test' }), 1);
    const changed = Object.assign(helloFacts(decode({ serverName: 'a.test' }), 1), { cipherSuites: ['only_this'], ja4: 'x' });
    assert.equal(encodeJson(changed), JSON.stringify(changed));
    assert.match(encodeJson(changed)!, /"cipherSuites":\["only_this"\]/);
    const copy = { ...facts, sni: 'copy.test' };
    assert.equal(encodeJson(copy), JSON.stringify(copy));
  });
});
