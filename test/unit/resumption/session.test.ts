// Session-ID resumption parts: the LRU, sealed session records, the version inside a serialized
// OpenSSL session, and the proxy's session client (local cache, store deadline, scope check).
import assert from 'node:assert/strict';
import { constants, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import tls from 'node:tls';
import { openSession, sealSession, sessionKey, sessionProtocolVersion } from '../../../adapters/crypto/session-record.js';
import { Sealer } from '../../../adapters/crypto/seal.js';
import { LruCache } from '../../../adapters/session/lru.js';
import { SessionClient } from '../../../actors/resumption/session-client.js';
import { sessionStoreSubjects } from '../../../actors/session-store/commands.js';
import { MemoryBus } from '../../../bus/memory/transport.js';
import { createTestCa } from '../../support/pki.js';

describe('LruCache', () => {
  it('evicts the least recently used entry beyond its size', () => {
    const lru = new LruCache<number>({ maxEntries: 2 });
    lru.set('a', 1, 1000);
    lru.set('b', 2, 1000);
    assert.equal(lru.get('a').found, true); // a is now the most recent
    lru.set('c', 3, 1000);
    assert.deepEqual(lru.get('b'), { found: false, reason: 'not_found' });
    assert.equal(lru.get('a').found, true);
    assert.equal(lru.evictions, 1);
  });

  it('reports an entry past its time to live as expired, once', () => {
    let now = 0;
    const lru = new LruCache<number>({ maxEntries: 10, now: () => now });
    lru.set('a', 1, 100);
    now = 100;
    assert.deepEqual(lru.get('a'), { found: false, reason: 'expired' });
    assert.deepEqual(lru.get('a'), { found: false, reason: 'not_found' });
  });
});

describe('sealed session records', () => {
  const sealer = new Sealer(randomBytes(32), 'session');

  it('keeps scope, issuer and expiry inside the seal, bound to the session key', () => {
    const data = randomBytes(120);
    const key = sessionKey(randomBytes(32));
    const sealed = sealSession(sealer, key, { scope: 's1', node: 'p1', issuedAt: 1, expiresAt: 2 }, data);
    assert.equal(sealed.includes(data.toString('base64url')), false);
    const opened = openSession(sealer, key, sealed);
    assert.deepEqual({ ...opened, data: Buffer.from(opened.data) }, { scope: 's1', node: 'p1', issuedAt: 1, expiresAt: 2, data });
    assert.throws(() => openSession(sealer, sessionKey(randomBytes(32)), sealed));
  });

  it('reads the protocol version of real TLS 1.2 and 1.3 sessions from node:tls', async () => {
    const pki = await createTestCa();
    const leaf = await pki.issue('s', { names: ['s.test'] });
    const versions: number[] = [];
    for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
      // TLS 1.2 with tickets would issue a ticket instead of calling newSession
      const secureOptions = maxVersion === 'TLSv1.2' ? constants.SSL_OP_NO_TICKET : 0;
      const server = tls.createServer({ cert: readFileSync(leaf.certFile), key: readFileSync(leaf.keyFile), maxVersion, sessionIdContext: 'x', secureOptions }, (s) => s.end());
      const got = new Promise<Buffer>((resolve) => server.once('newSession', (_id: Buffer, data: Buffer, cb: () => void) => (cb(), resolve(data))));
      server.once('resumeSession', (_id: Buffer, cb: (e: null, d: null) => void) => cb(null, null));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as { port: number }).port;
      const client = tls.connect({ port, host: '127.0.0.1', servername: 's.test', ca: readFileSync(pki.caFile) });
      client.on('data', () => undefined);
      client.on('error', () => undefined);
      versions.push(sessionProtocolVersion(await got)!);
      client.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    }
    assert.deepEqual(versions, [0x0303, 0x0304]);
    assert.equal(sessionProtocolVersion(Buffer.from('garbage')), undefined);
  });
});

describe('SessionClient', () => {
  const fleet = randomBytes(32);
  const client = (bus: MemoryBus, node: string, lookupTimeoutMs = 50) => new SessionClient({ bus, sealer: new Sealer(fleet, 'session'), nodeId: node, ttlMs: 60_000, lookupTimeoutMs, localSize: 100 });

  it('answers store_timeout when the store does not reply within lookup_timeout', async () => {
    const bus = new MemoryBus();
    bus.serve(sessionStoreSubjects.get, () => new Promise(() => undefined)); // a store that hangs
    const c = client(bus, 'p1', 20);
    const outcome = await c.lookup(randomBytes(32), 'scope');
    assert.deepEqual({ found: outcome.found, reason: !outcome.found && outcome.reason }, { found: false, reason: 'store_timeout' });
    c.close();
    await bus.close();
  });

  it('finds another proxy’s session from the fleet broadcast without asking the store', async () => {
    const bus = new MemoryBus();
    let storeGets = 0;
    bus.serve(sessionStoreSubjects.put, () => ({ ok: true }), { queue: 'session-store' });
    bus.serve(sessionStoreSubjects.get, () => (storeGets++, { found: false, reason: 'not_found' }), { queue: 'session-store' });
    const p1 = client(bus, 'p1');
    const p2 = client(bus, 'p2');
    const id = randomBytes(32);
    const data = randomBytes(100);
    p1.store(id, data, 'scope-a');
    await bus.flush();
    const found = await p2.lookup(id, 'scope-a');
    assert.equal(found.found, true);
    assert.equal(found.found && found.session.node, 'p1');
    assert.deepEqual(found.found && Buffer.from(found.session.data), data);
    assert.equal(storeGets, 0);
    const other = await p2.lookup(id, 'scope-b');
    assert.equal(!other.found && other.reason, 'policy_mismatch');
    const missing = await p2.lookup(randomBytes(32), 'scope-a');
    assert.equal(!missing.found && missing.reason, 'not_found');
    assert.equal(storeGets, 1);
    p1.close();
    p2.close();
    await bus.close();
  });
});
