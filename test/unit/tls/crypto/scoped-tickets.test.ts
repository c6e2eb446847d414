import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { deriveScopedParts, nodeTag } from '../../../../adapters/crypto/ticket-scope.js';
import { NodeCryptoProvider } from '../../../../adapters/tls/crypto/node-provider.js';
import { ScopedTicketSealer } from '../../../../adapters/tls/crypto/scoped-tickets.js';
import { NamedGroup } from '../../../../adapters/tls/wire/enums.js';

const block = randomBytes(48);
const key = (scope: string, active = true) => {
  const parts = deriveScopedParts(block, scope);
  return { scopeName: parts.scopeName, secrets: parts.secrets, active };
};
const session = new Uint8Array(randomBytes(200));

describe('ScopedTicketSealer (offload engine tickets under the fleet block)', () => {
  it('opens what it sealed, and names the ticket by scope name and issuing node', () => {
    const a = new ScopedTicketSealer([key('scope-a')], nodeTag('node-a'));
    const ticket = a.seal(session)!;
    assert.deepEqual(a.open(ticket), session);
    assert.equal(a.keyNameOf(ticket), deriveScopedParts(block, 'scope-a').scopeName + nodeTag('node-a').toString('hex'));
  });

  it('opens tickets of every node of the fleet: the secrets depend on the block and scope only', () => {
    const fromB = new ScopedTicketSealer([key('scope-a')], nodeTag('node-b')).seal(session)!;
    assert.deepEqual(new ScopedTicketSealer([key('scope-a')], nodeTag('node-a')).open(fromB), session);
  });

  it('never opens a ticket of another scope (policy)', () => {
    const other = new ScopedTicketSealer([key('scope-b')], nodeTag('n')).seal(session)!;
    const a = new ScopedTicketSealer([key('scope-a')], nodeTag('n'));
    assert.equal(a.open(other), undefined);
    assert.equal(a.keyNameOf(other), undefined);
  });

  it('refuses a ticket whose issuing-node tag was changed (the key name is authenticated)', () => {
    const a = new ScopedTicketSealer([key('scope-a')], nodeTag('n'));
    const ticket = a.seal(session)!;
    ticket[12]! ^= 1;
    assert.equal(a.open(ticket), undefined);
  });

  it('seals with the active key only, and opens with retired and staged keys too', () => {
    const retired = { ...deriveScopedParts(randomBytes(48), 's'), active: false };
    const old = new ScopedTicketSealer([{ ...retired, active: true }], nodeTag('n')).seal(session)!;
    const rotated = new ScopedTicketSealer([key('s'), retired], nodeTag('n'));
    assert.deepEqual(rotated.open(old), session);
    assert.equal(rotated.keyNameOf(rotated.seal(session)!)!.slice(0, 16), deriveScopedParts(block, 's').scopeName);
    assert.equal(new ScopedTicketSealer([retired], nodeTag('n')).seal(session), undefined, 'no active key: no tickets');
  });

  it('refuses truncated and random tickets without throwing', () => {
    const a = new ScopedTicketSealer([key('scope-a')], nodeTag('n'));
    const ticket = a.seal(session)!;
    for (let n = 0; n < ticket.length; n += 7) assert.equal(a.open(ticket.subarray(0, n)), undefined);
    for (let i = 0; i < 200; i++) assert.equal(a.open(new Uint8Array(randomBytes(i))), undefined);
  });
});

describe('NodeCryptoProvider CSPRNG pool and X25519 stock', () => {
  it('never hands out the same random bytes twice', () => {
    const p = new NodeCryptoProvider();
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const r = Buffer.from(p.random(32, 'server_random')).toString('hex');
      assert.ok(!seen.has(r));
      assert.notEqual(r, '0'.repeat(64));
      seen.add(r);
    }
  });

  it('agrees on one secret with key shares from its background stock', async () => {
    const p = new NodeCryptoProvider();
    p.generateKeyShare(NamedGroup.x25519); // starts the refill
    await new Promise((r) => setTimeout(r, 200));
    const keys = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const a = p.generateKeyShare(NamedGroup.x25519);
      const b = new NodeCryptoProvider({ random: (n) => new Uint8Array(randomBytes(n)) }).generateKeyShare(NamedGroup.x25519);
      assert.deepEqual(a.agree(b.publicKey), b.agree(a.publicKey));
      keys.add(Buffer.from(a.publicKey).toString('hex'));
    }
    assert.equal(keys.size, 20, 'each stocked pair is used once');
  });
});
