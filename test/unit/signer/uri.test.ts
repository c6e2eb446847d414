import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatPkcs11Uri, parsePkcs11Uri } from '../../../adapters/signer/pkcs11/uri.js';
import { parseKeyRef, selectKey } from '../../../adapters/signer/key-ref.js';
import { SignerError } from '../../../adapters/signer/errors.js';
import type { KeyInfo } from '../../../adapters/signer/keys.js';

const code = (c: string) => (e: unknown) => e instanceof SignerError && e.code === c;

describe('pkcs11 URI (RFC 7512)', () => {
  it('parses the RFC 7512 §3 examples', () => {
    assert.deepEqual(parsePkcs11Uri('pkcs11:'), {});
    const a = parsePkcs11Uri('pkcs11:object=my-pubkey;type=public');
    assert.equal(a.object, 'my-pubkey');
    assert.equal(a.type, 'public');
    const b = parsePkcs11Uri('pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;manufacturer=Snake%20Oil,%20Inc.;model=1.0;object=my-certificate;type=cert;id=%69%95%3E%5C%F4%BD%EC%91;serial=');
    assert.equal(b.token, 'The Software PKCS#11 Softtoken');
    assert.equal(b.manufacturer, 'Snake Oil, Inc.');
    assert.equal(b.id?.toString('hex'), '69953e5cf4bdec91');
    assert.equal(b.serial, '');
    const c = parsePkcs11Uri('pkcs11:token=A%20name%20with%20a%20substring%20%25%3B;object=my-certificate;type=cert');
    assert.equal(c.token, 'A name with a substring %;');
    const d = parsePkcs11Uri('pkcs11:token=Software%20PKCS%2311%20softtoken;manufacturer=Snake%20Oil,%20Inc.?pin-value=the-pin');
    assert.equal(d.pinValue, 'the-pin');
    const e = parsePkcs11Uri('pkcs11:slot-description=Sun%20Metaslot');
    assert.equal(e.slotDescription, 'Sun Metaslot');
    const f = parsePkcs11Uri('pkcs11:token=my-token;object=my-key;type=private?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/token');
    assert.equal(f.modulePath, '/usr/lib/softhsm/libsofthsm2.so');
    assert.equal(f.pinSource, 'file:/etc/token');
    assert.equal(parsePkcs11Uri('pkcs11:slot-id=7').slotId, 7);
  });

  it('ignores vendor x- attributes and rejects unknown, repeated or badly encoded ones', () => {
    assert.equal(parsePkcs11Uri('pkcs11:x-vendor=1;object=k').object, 'k');
    assert.throws(() => parsePkcs11Uri('pkcs11:colour=blue'), code('bad_request'));
    assert.throws(() => parsePkcs11Uri('pkcs11:object=a;object=b'), code('bad_request'));
    assert.throws(() => parsePkcs11Uri('pkcs11:id=%G1'), code('bad_request'));
    assert.throws(() => parsePkcs11Uri('pkcs11:type=secret'), code('bad_request'));
    assert.throws(() => parsePkcs11Uri('file:object=x'), code('bad_request'));
  });

  it('never echoes a pin-value in its errors', () => {
    assert.throws(() => parsePkcs11Uri('pkcs11:bogus=1?pin-value=s3cret'), (e: unknown) => e instanceof SignerError && !e.message.includes('s3cret'));
  });

  it('formats a key URI that parses back to the same token, label and id', () => {
    const uri = formatPkcs11Uri({ token: 'edge token', object: 'ec;256', id: Buffer.from([0, 1, 0xfe]), type: 'private' });
    assert.equal(uri, 'pkcs11:token=edge%20token;object=ec%3b256;id=%00%01%fe;type=private');
    const back = parsePkcs11Uri(uri);
    assert.equal(back.token, 'edge token');
    assert.equal(back.object, 'ec;256');
    assert.equal(back.id?.toString('hex'), '0001fe');
  });
});

describe('key references', () => {
  const keys: KeyInfo[] = [
    { id: '01', label: 'ec256', algorithm: 'ec-p256', schemes: ['ecdsa_secp256r1_sha256'] },
    { id: '02', label: 'rsa', algorithm: 'rsa2048', schemes: ['rsa_pss_rsae_sha256'] },
    { id: '03', label: 'rsa', algorithm: 'rsa2048', schemes: ['rsa_pss_rsae_sha256'] },
  ];

  it('selects a key by label, by id: and by pkcs11 URI', () => {
    assert.equal(selectKey(keys, parseKeyRef('ec256'), 's').id, '01');
    assert.equal(selectKey(keys, parseKeyRef('id:03'), 's').id, '03');
    assert.equal(selectKey(keys, parseKeyRef('pkcs11:token=edge;object=rsa;id=%02;type=private'), 's', 'edge').id, '02');
  });

  it('answers key_not_found for a missing label, an ambiguous label or another token', () => {
    assert.throws(() => selectKey(keys, parseKeyRef('nope'), 's'), code('key_not_found'));
    assert.throws(() => selectKey(keys, parseKeyRef('rsa'), 's'), (e: unknown) => e instanceof SignerError && e.code === 'key_not_found' && /name it by id/.test(e.message));
    assert.throws(() => selectKey(keys, parseKeyRef('pkcs11:token=other;object=ec256'), 's', 'edge'), code('key_not_found'));
  });

  it('refuses references that carry a PIN or name a non-private object', () => {
    assert.throws(() => parseKeyRef('pkcs11:object=ec256?pin-value=1234'), code('bad_request'));
    assert.throws(() => parseKeyRef('pkcs11:object=ec256;type=cert'), code('bad_request'));
    assert.throws(() => parseKeyRef('id:xyz'), code('bad_request'));
    assert.throws(() => parseKeyRef(''), code('bad_request'));
  });
});
