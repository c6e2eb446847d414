import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TlsError } from '../../../../adapters/tls/wire/errors.js';
import { decodeAlpnClient, decodeAlpnServer, encodeAlpnClient, encodeAlpnServer } from '../../../../adapters/tls/wire/extensions/alpn.js';
import { decodeCertificateAuthorities, encodeCertificateAuthorities } from '../../../../adapters/tls/wire/extensions/certificate-authorities.js';
import { decodeCookie, encodeCookie } from '../../../../adapters/tls/wire/extensions/cookie.js';
import { decodeEarlyDataIndication, decodeEarlyDataTicket, encodeEarlyDataTicket } from '../../../../adapters/tls/wire/extensions/early-data.js';
import { decodeEcPointFormats, encodeEcPointFormats } from '../../../../adapters/tls/wire/extensions/ec-point-formats.js';
import {
  decodeKeyShareClient,
  decodeKeyShareHelloRetry,
  decodeKeyShareServer,
  encodeKeyShareClient,
  encodeKeyShareHelloRetry,
  encodeKeyShareServer,
} from '../../../../adapters/tls/wire/extensions/key-share.js';
import { decodeOfferedPsks, decodeSelectedIdentity, encodeOfferedPsks, encodeSelectedIdentity } from '../../../../adapters/tls/wire/extensions/pre-shared-key.js';
import { decodePskKeyExchangeModes, encodePskKeyExchangeModes } from '../../../../adapters/tls/wire/extensions/psk-key-exchange-modes.js';
import { decodeRecordSizeLimit, encodeRecordSizeLimit } from '../../../../adapters/tls/wire/extensions/record-size-limit.js';
import { decodeRenegotiationInfo, encodeRenegotiationInfo } from '../../../../adapters/tls/wire/extensions/renegotiation-info.js';
import { decodeServerNameClient, encodeServerNameClient, validateHostName } from '../../../../adapters/tls/wire/extensions/server-name.js';
import { decodeSignatureAlgorithms, encodeSignatureAlgorithms } from '../../../../adapters/tls/wire/extensions/signature-algorithms.js';
import { decodeSupportedGroups, encodeSupportedGroups } from '../../../../adapters/tls/wire/extensions/supported-groups.js';
import {
  decodeSupportedVersionsClient,
  decodeSupportedVersionsServer,
  encodeSupportedVersionsClient,
  encodeSupportedVersionsServer,
} from '../../../../adapters/tls/wire/extensions/supported-versions.js';
import { mayCarry } from '../../../../adapters/tls/wire/extensions/table.js';
import { ExtensionType } from '../../../../adapters/tls/wire/enums.js';

interface Case {
  name: string;
  encoded: Uint8Array;
  decode: (d: Uint8Array) => unknown;
  value: unknown;
}

const share = { group: 0x001d, keyExchange: new Uint8Array(32).fill(5) };
const cases: Case[] = [
  { name: 'server_name', encoded: encodeServerNameClient('www.example.test'), decode: decodeServerNameClient, value: 'www.example.test' },
  { name: 'alpn (client)', encoded: encodeAlpnClient(['h2', 'http/1.1']), decode: decodeAlpnClient, value: ['h2', 'http/1.1'] },
  { name: 'alpn (server)', encoded: encodeAlpnServer('h2'), decode: decodeAlpnServer, value: 'h2' },
  { name: 'supported_versions (client)', encoded: encodeSupportedVersionsClient([0x0304, 0x0303]), decode: decodeSupportedVersionsClient, value: [0x0304, 0x0303] },
  { name: 'supported_versions (server)', encoded: encodeSupportedVersionsServer(0x0304), decode: decodeSupportedVersionsServer, value: 0x0304 },
  { name: 'supported_groups', encoded: encodeSupportedGroups([0x1d, 0x17]), decode: decodeSupportedGroups, value: [0x1d, 0x17] },
  { name: 'key_share (client)', encoded: encodeKeyShareClient([share]), decode: decodeKeyShareClient, value: [share] },
  { name: 'key_share (server)', encoded: encodeKeyShareServer(share), decode: decodeKeyShareServer, value: share },
  { name: 'key_share (HRR)', encoded: encodeKeyShareHelloRetry(0x17), decode: decodeKeyShareHelloRetry, value: 0x17 },
  { name: 'signature_algorithms', encoded: encodeSignatureAlgorithms([0x0403, 0x0804]), decode: decodeSignatureAlgorithms, value: [0x0403, 0x0804] },
  { name: 'psk_key_exchange_modes', encoded: encodePskKeyExchangeModes([1]), decode: decodePskKeyExchangeModes, value: [1] },
  { name: 'pre_shared_key (server)', encoded: encodeSelectedIdentity(2), decode: decodeSelectedIdentity, value: 2 },
  { name: 'early_data (ticket)', encoded: encodeEarlyDataTicket(1024), decode: decodeEarlyDataTicket, value: 1024 },
  { name: 'cookie', encoded: encodeCookie(new Uint8Array([1, 2, 3])), decode: decodeCookie, value: new Uint8Array([1, 2, 3]) },
  { name: 'record_size_limit', encoded: encodeRecordSizeLimit(16385), decode: decodeRecordSizeLimit, value: 16385 },
  { name: 'ec_point_formats', encoded: encodeEcPointFormats([0]), decode: decodeEcPointFormats, value: [0] },
  { name: 'renegotiation_info', encoded: encodeRenegotiationInfo(new Uint8Array(0)), decode: decodeRenegotiationInfo, value: new Uint8Array(0) },
  {
    name: 'certificate_authorities',
    encoded: encodeCertificateAuthorities([new Uint8Array([0x30, 0x00])]),
    decode: decodeCertificateAuthorities,
    value: [new Uint8Array([0x30, 0x00])],
  },
];

function refusal(fn: () => unknown): TlsError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof TlsError, `expected TlsError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a TlsError');
}

describe('extension codecs', () => {
  for (const c of cases) {
    it(`${c.name}: decodes what it encodes`, () => {
      assert.deepEqual(c.decode(c.encoded), c.value);
    });
    it(`${c.name}: refuses every strict prefix and a trailing byte`, () => {
      for (let n = 0; n < c.encoded.length; n++) refusal(() => c.decode(c.encoded.subarray(0, n)));
      const longer = new Uint8Array(c.encoded.length + 1);
      longer.set(c.encoded);
      refusal(() => c.decode(longer));
    });
  }

  it('pre_shared_key (client): decodes identities, binders and the binders offset', () => {
    const encoded = encodeOfferedPsks([{ identity: new Uint8Array([9, 9, 9]), obfuscatedTicketAge: 0xfffffffe }], [new Uint8Array(32).fill(3)]);
    const psk = decodeOfferedPsks(encoded);
    assert.equal(psk.identities[0]?.obfuscatedTicketAge, 0xfffffffe);
    assert.deepEqual(psk.binders[0], new Uint8Array(32).fill(3));
    assert.equal(psk.bindersOffset, 2 + 2 + 3 + 4);
    for (let n = 0; n < encoded.length; n++) refusal(() => decodeOfferedPsks(encoded.subarray(0, n)));
  });

  it('pre_shared_key (client): refuses a binder count that differs from the identities with illegal_parameter', () => {
    const encoded = encodeOfferedPsks([{ identity: new Uint8Array(4), obfuscatedTicketAge: 0 }], [new Uint8Array(32), new Uint8Array(32)]);
    assert.equal(refusal(() => decodeOfferedPsks(encoded)).code, 'illegal_parameter');
  });

  it('key_share (client): refuses two shares for one group with illegal_parameter', () => {
    assert.equal(refusal(() => decodeKeyShareClient(encodeKeyShareClient([share, share]))).code, 'illegal_parameter');
  });

  it('record_size_limit: refuses a value below 64 with illegal_parameter (RFC 8449 §4)', () => {
    assert.equal(refusal(() => decodeRecordSizeLimit(encodeRecordSizeLimit(63))).code, 'illegal_parameter');
  });

  it('early_data (indication): refuses a non-empty body with decode_error', () => {
    assert.equal(decodeEarlyDataIndication(new Uint8Array(0)), true);
    assert.equal(refusal(() => decodeEarlyDataIndication(new Uint8Array(1))).code, 'decode_error');
  });

  it('alpn: refuses an empty protocol name', () => {
    refusal(() => decodeAlpnClient(new Uint8Array([0, 2, 0, 0])));
  });

  it('alpn: carries non-ASCII protocol bytes one char per byte', () => {
    const name = String.fromCharCode(0xab, 0xcd);
    assert.deepEqual(decodeAlpnClient(encodeAlpnClient([name])), [name]);
  });

  it('server_name: refuses two host_name entries with illegal_parameter', () => {
    const one = encodeServerNameClient('a.test');
    const entry = one.subarray(2);
    const two = new Uint8Array(2 + entry.length * 2);
    two[1] = entry.length * 2;
    two.set(entry, 2);
    two.set(entry, 2 + entry.length);
    assert.equal(refusal(() => decodeServerNameClient(two)).code, 'illegal_parameter');
  });

  it('server_name: lowercases and refuses names RFC 6066 forbids', () => {
    const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
    assert.equal(validateHostName(bytes('WWW.Example.TEST')), 'www.example.test');
    assert.equal(validateHostName(bytes('_acme.example.test')), '_acme.example.test');
    for (const bad of ['example.test.', '.example', 'a..b', '127.0.0.1', '::1', 'ex ample.test', 'exämple.test', 'a'.repeat(64) + '.test', 'x'.repeat(254)]) {
      assert.equal(refusal(() => validateHostName(bytes(bad))).code, 'decode_error', bad);
    }
  });

  it('server_name: treats an IP literal as no SNI and drops one trailing dot (regression: wrk sent SNI 127.0.0.1 and got decode_error)', () => {
    const ext = (name: string) => {
      const v = Buffer.from(name, 'latin1');
      return new Uint8Array([0, v.length + 3, 0, 0, v.length, ...v]);
    };
    assert.equal(decodeServerNameClient(ext('127.0.0.1')), undefined);
    assert.equal(decodeServerNameClient(ext('::1')), undefined);
    assert.equal(decodeServerNameClient(ext('fe80::1')), undefined);
    assert.equal(decodeServerNameClient(ext('Example.Test.')), 'example.test');
    assert.equal(refusal(() => decodeServerNameClient(ext('example.test..'))).code, 'decode_error');
    assert.equal(refusal(() => decodeServerNameClient(ext('1.2.3'))).code, 'decode_error', 'not an IPv4 literal, and all-numeric');
  });

  it('table: allows key_share in ServerHello but not in EncryptedExtensions', () => {
    assert.equal(mayCarry('server_hello', ExtensionType.key_share), true);
    assert.equal(mayCarry('encrypted_extensions', ExtensionType.key_share), false);
    assert.equal(mayCarry('client_hello', ExtensionType.oid_filters), false);
    assert.equal(mayCarry('new_session_ticket', ExtensionType.early_data), true);
    assert.equal(mayCarry('encrypted_extensions', 0x4469), true);
  });
});
