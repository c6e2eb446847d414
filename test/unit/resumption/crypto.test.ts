// Sealing under the fleet key, the fleet key file, the ATS ticket-key file and the policy-scoped
// ticket key derivation.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CryptoError } from '../../../adapters/crypto/errors.js';
import { loadFleetKey } from '../../../adapters/crypto/fleet-key.js';
import { Sealer } from '../../../adapters/crypto/seal.js';
import { fileKeyId, formatTicketKeyFile, parseTicketKeyFile } from '../../../adapters/crypto/ticket-key-file.js';
import { deriveScopedParts, nodeTag, scopedTicketKey, ticketScope } from '../../../adapters/crypto/ticket-scope.js';
import { tempDir } from '../../support/processes.js';

const fleet = randomBytes(32);

function openFails(fn: () => unknown): void {
  assert.throws(fn, (err: unknown) => err instanceof CryptoError && (err.code === 'open_failed' || err.code === 'bad_sealed'));
}

describe('Sealer', () => {
  it('opens what it sealed under the same fleet key, purpose and id', () => {
    const s = new Sealer(fleet, 'ticket-key');
    const secret = randomBytes(48);
    const sealed = s.seal(secret, 'ticket-key k1');
    assert.deepEqual(new Sealer(fleet, 'ticket-key').open(sealed, 'ticket-key k1'), secret);
  });

  it('refuses a sealed value moved to another id, purpose or fleet key, or tampered with', () => {
    const sealed = new Sealer(fleet, 'ticket-key').seal(randomBytes(48), 'ticket-key k1');
    openFails(() => new Sealer(fleet, 'ticket-key').open(sealed, 'ticket-key k2'));
    openFails(() => new Sealer(fleet, 'session').open(sealed, 'ticket-key k1'));
    openFails(() => new Sealer(randomBytes(32), 'ticket-key').open(sealed, 'ticket-key k1'));
    const raw = Buffer.from(sealed, 'base64url');
    raw[raw.length - 20]! ^= 1;
    openFails(() => new Sealer(fleet, 'ticket-key').open(raw.toString('base64url'), 'ticket-key k1'));
    openFails(() => new Sealer(fleet, 'ticket-key').open('AAAA', 'ticket-key k1'));
  });

  it('never puts the plaintext in the sealed text', () => {
    const secret = randomBytes(48);
    const sealed = new Sealer(fleet, 'ticket-key').seal(secret, 'ticket-key k1');
    assert.equal(Buffer.from(sealed, 'base64url').includes(secret), false);
    assert.notEqual(sealed, new Sealer(fleet, 'ticket-key').seal(secret, 'ticket-key k1'), 'a fresh nonce each time');
  });
});

describe('loadFleetKey', () => {
  it('reads 32 raw bytes, or the same as hex or base64 text', () => {
    const dir = tempDir();
    const key = randomBytes(32);
    for (const [name, content] of [['raw', key], ['hex', key.toString('hex') + '\n'], ['b64', key.toString('base64')]] as const) {
      const file = join(dir, name);
      writeFileSync(file, content);
      assert.deepEqual(Buffer.from(loadFleetKey(file).bytes), key);
    }
  });

  it('refuses a key of the wrong size without printing it', () => {
    const file = join(tempDir(), 'short');
    const bytes = randomBytes(16);
    writeFileSync(file, bytes);
    assert.throws(() => loadFleetKey(file), (err: unknown) => err instanceof CryptoError && err.code === 'bad_fleet_key' && !err.message.includes(bytes.toString('hex')));
  });

  it('makes an ephemeral key when no file is configured', () => {
    const k = loadFleetKey(undefined);
    assert.equal(k.origin, 'ephemeral');
    assert.equal(k.bytes.length, 32);
  });
});

describe('ticket key file (Traffic Server format)', () => {
  it('round-trips 48-byte keys back to back, first one first', () => {
    const keys = [randomBytes(48), randomBytes(48), randomBytes(48)];
    assert.deepEqual(parseTicketKeyFile(formatTicketKeyFile(keys)), keys);
  });

  it('refuses a file that is not a non-empty multiple of 48 bytes', () => {
    for (const n of [0, 47, 49, 95]) assert.throws(() => parseTicketKeyFile(randomBytes(n)), (e: unknown) => e instanceof CryptoError && e.code === 'bad_key_file');
  });

  it('names a key by a hash that reveals nothing of it', () => {
    const k = randomBytes(48);
    assert.equal(fileKeyId(k), fileKeyId(Buffer.from(k)));
    assert.notEqual(fileKeyId(k), fileKeyId(randomBytes(48)));
    assert.equal(k.toString('hex').includes(fileKeyId(k).slice(1)), false);
  });
});

describe('policy-scoped ticket keys', () => {
  const base = { certificate: 'CERT-A', clientCertMode: 'none' as const, clientCa: '' };

  it('gives a different scope for a different certificate, client-certificate mode or CA set', () => {
    const a = ticketScope(base);
    assert.equal(a, ticketScope({ ...base }));
    assert.notEqual(a, ticketScope({ ...base, certificate: 'CERT-B' }));
    assert.notEqual(a, ticketScope({ ...base, clientCertMode: 'require', clientCa: 'CA' }));
    assert.notEqual(ticketScope({ ...base, clientCertMode: 'require', clientCa: 'CA1' }), ticketScope({ ...base, clientCertMode: 'require', clientCa: 'CA2' }));
  });

  it('derives per-scope names and secrets from one block key, the same in every process', () => {
    const block = randomBytes(48);
    const s1 = deriveScopedParts(block, ticketScope(base));
    const s2 = deriveScopedParts(block, ticketScope({ ...base, certificate: 'CERT-B' }));
    assert.deepEqual(deriveScopedParts(Buffer.from(block), ticketScope(base)), s1);
    assert.notEqual(s1.scopeName, s2.scopeName);
    assert.equal(s1.secrets.equals(s2.secrets), false);
    assert.equal(block.includes(s1.secrets), false);
  });

  it('builds the 48 bytes node:tls takes: scope name, node tag, secrets', () => {
    const parts = deriveScopedParts(randomBytes(48), 'scope');
    const key = scopedTicketKey(parts, nodeTag('p1'));
    assert.equal(key.length, 48);
    assert.equal(key.subarray(0, 8).toString('hex'), parts.scopeName);
    assert.deepEqual(key.subarray(8, 16), nodeTag('p1'));
    assert.deepEqual(key.subarray(16), parts.secrets);
    assert.notDeepEqual(nodeTag('p1'), nodeTag('p2'));
  });
});
