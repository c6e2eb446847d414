// Ticket routing by key name: the scope half picks (key, policy), the node half names the issuer;
// names from another policy's scope are a policy mismatch, the rest unknown keys.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { nodeTag, scopedTicketKey } from '../../../adapters/crypto/ticket-scope.js';
import { KeySet } from '../../../actors/resumption/key-sets.js';
import { keyIdOfVariant, TicketRouter, variantOf } from '../../../actors/resumption/ticket-router.js';

function keySet(): KeySet {
  const set = new KeySet('fleet');
  set.replace([
    { id: 'k2', epoch: 2, status: 'active', material: randomBytes(48) },
    { id: 'k1', epoch: 1, status: 'retired', material: randomBytes(48) },
  ]);
  return set;
}

const nameOf = (router: TicketRouter, set: KeySet, scope: string, keyId: string, node: string) => {
  const key = [...router.table(set, scope).byName.values()].find((k) => k.keyId === keyId)!;
  return scopedTicketKey(key.parts, nodeTag(node)).subarray(0, 16).toString('hex');
};

describe('TicketRouter', () => {
  it('routes a presented key name to its key and issuing node, and encrypts new sessions with the active key', () => {
    const router = new TicketRouter();
    const set = keySet();
    const route = router.route(set, 'scopeA', [nameOf(router, set, 'scopeA', 'k1', 'p7')]);
    assert.equal(route.kind, 'routed');
    assert.equal(route.kind === 'routed' && route.key.keyId, 'k1');
    assert.equal(route.kind === 'routed' && route.tag, nodeTag('p7').toString('hex'));
    assert.equal(router.table(set, 'scopeA').encrypt?.keyId, 'k2');
    assert.deepEqual(router.route(set, 'scopeA', []), { kind: 'none' });
  });

  it("calls another policy's ticket a policy mismatch and anything else an unknown key", () => {
    const router = new TicketRouter();
    const set = keySet();
    const fromB = nameOf(router, set, 'scopeB', 'k2', 'p1');
    assert.deepEqual(router.route(set, 'scopeA', [fromB]), { kind: 'policy_mismatch', scope: 'scopeB' });
    assert.deepEqual(router.route(set, 'scopeA', [randomBytes(16).toString('hex')]), { kind: 'unknown_key' });
  });

  it('forgets removed keys when the key set changes', () => {
    const router = new TicketRouter();
    const set = keySet();
    const old = nameOf(router, set, 'scopeA', 'k1', 'p1');
    set.replace(set.keys.filter((k) => k.id !== 'k1'));
    assert.deepEqual(router.route(set, 'scopeA', [old]), { kind: 'unknown_key' });
  });

  it('names server variants by key id and node tag', () => {
    assert.equal(keyIdOfVariant(variantOf('k9', 'abcd')), 'k9');
  });
});
