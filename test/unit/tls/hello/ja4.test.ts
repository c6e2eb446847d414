import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ja4, ja4Raw } from '../../../../adapters/tls/hello/ja4.js';
import { peekClientHello } from '../../../../adapters/tls/hello/peek.js';
import { decodeClientHello, encodeClientHello } from '../../../../adapters/tls/wire/client-hello.js';
import { encodeAlpnClient } from '../../../../adapters/tls/wire/extensions/alpn.js';
import { encodeKeyShareClient } from '../../../../adapters/tls/wire/extensions/key-share.js';
import { encodeServerNameClient } from '../../../../adapters/tls/wire/extensions/server-name.js';
import { encodeSignatureAlgorithms } from '../../../../adapters/tls/wire/extensions/signature-algorithms.js';
import { encodeSupportedGroups } from '../../../../adapters/tls/wire/extensions/supported-groups.js';
import { encodeSupportedVersionsClient } from '../../../../adapters/tls/wire/extensions/supported-versions.js';
import { foxioHellos } from '../fixtures/foxio-ja4-hellos.js';
import { unhex } from '../support/hello-builder.js';

const u = (...b: number[]) => new Uint8Array(b);

/** The hello of the JA4 spec's worked example (technical_details/JA4.md), extension data made valid. */
function specExampleHello(overrides: { alpn?: string[]; sigalgs?: number[] | null; grease?: boolean } = {}): Uint8Array {
  const ciphers = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035];
  const sigalgs = overrides.sigalgs === undefined ? [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601] : overrides.sigalgs;
  const data: Record<number, Uint8Array> = {
    0x001b: u(2, 0, 2),
    0x0000: encodeServerNameClient('example.test'),
    0x0033: encodeKeyShareClient([{ group: 0x001d, keyExchange: new Uint8Array(32) }]),
    0x0010: encodeAlpnClient(overrides.alpn ?? ['h2', 'http/1.1']),
    0x4469: u(0, 3, 2, 0x68, 0x32),
    0x0017: u(),
    0x002d: u(1, 1),
    0x000d: encodeSignatureAlgorithms(sigalgs ?? [0x0403]),
    0x0005: u(1, 0, 0, 0, 0),
    0x0023: u(),
    0x0012: u(),
    0x002b: encodeSupportedVersionsClient(overrides.grease ? [0x7a7a, 0x0304, 0x0303] : [0x0304, 0x0303]),
    0xff01: u(0),
    0x000b: u(1, 0),
    0x000a: encodeSupportedGroups([0x001d, 0x0017, 0x0018]),
    0x0015: new Uint8Array(10),
  };
  let order = [0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015];
  if (sigalgs === null) order = order.filter((t) => t !== 0x000d);
  const extensions = order.map((type) => ({ type, data: data[type]! }));
  if (overrides.grease) extensions.unshift({ type: 0x3a3a, data: u() });
  return encodeClientHello({
    random: new Uint8Array(32),
    cipherSuites: overrides.grease ? [0x8a8a, ...ciphers] : ciphers,
    extensions,
  });
}

describe('ja4', () => {
  it('reproduces the JA4 spec worked example t13d1516h2_8daaf6152771_e5627efa2ab1', () => {
    const hello = decodeClientHello(specExampleHello());
    assert.equal(ja4(hello), 't13d1516h2_8daaf6152771_e5627efa2ab1');
    assert.equal(
      ja4Raw(hello),
      't13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601',
    );
  });

  it('ignores GREASE in ciphers, extensions and supported_versions', () => {
    assert.equal(ja4(decodeClientHello(specExampleHello({ grease: true }))), 't13d1516h2_8daaf6152771_e5627efa2ab1');
  });

  it('ends the extension string without an underscore when there are no signature algorithms', () => {
    const hello = decodeClientHello(specExampleHello({ sigalgs: null }));
    const list = '0005,000a,000b,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01';
    assert.equal(ja4Raw(hello).split('_').slice(2).join('_'), list);
    const expected = createHash('sha256').update(list).digest('hex').slice(0, 12);
    assert.equal(ja4(hello), `t13d1515h2_8daaf6152771_${expected}`);
    // the spec's own example of a list hashed without signature algorithms
    assert.equal(createHash('sha256').update('0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01').digest('hex').slice(0, 12), '6d807ffa2a79');
  });

  it('writes the first and last ALPN characters, or hex digits when they are not alphanumeric', () => {
    const cases: Array<[number[], string]> = [
      [[0xab], 'ab'],
      [[0x20], '20'],
      [[0xab, 0xcd], 'ad'],
      [[0x20, 0x61], '21'],
      [[0x30, 0xab], '3b'],
      [[0x61, 0x20], '60'],
      [[0x30, 0x31, 0xab, 0xcd], '3d'],
      [[0x30, 0xab, 0xcd, 0x31], '01'],
      [[0x68, 0x74, 0x74, 0x70, 0x2f, 0x31, 0x2e, 0x31], 'h1'],
      [[0x78], 'xx'],
    ];
    for (const [bytes, expected] of cases) {
      const hello = decodeClientHello(specExampleHello({ alpn: [String.fromCharCode(...bytes)] }));
      assert.equal(ja4(hello).slice(8, 10), expected, `alpn ${Buffer.from(bytes).toString('hex')}`);
    }
  });

  it('writes 00 without ALPN and i without SNI', () => {
    const hello = decodeClientHello(encodeClientHello({ random: new Uint8Array(32), cipherSuites: [0x1301], extensions: [] }));
    assert.equal(ja4(hello), `t12i010000_${createHash('sha256').update('1301').digest('hex').slice(0, 12)}_000000000000`);
  });

  for (const published of foxioHellos) {
    it(`matches the published JA4 of ${published.capture} (${published.specJa4 ?? published.ja4})`, () => {
      const r = peekClientHello(unhex(published.record));
      assert.equal(r.status, 'complete');
      if (r.status !== 'complete') return;
      assert.equal(r.facts.sni, published.sni);
      assert.equal(r.facts.ja4, published.specJa4 ?? published.ja4);
    });
  }
});
