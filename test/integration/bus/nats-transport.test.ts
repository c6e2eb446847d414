// NATS transport behaviour beyond the shared contract: surviving a server restart, the bounded
// reconnect buffer, credentials from config, and a clear connect_failed.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { BusConfig } from '../../../adapters/config/model.js';
import { BusError, type BusStatus } from '../../../bus/bus.js';
import type { Json } from '../../../bus/envelope.js';
import { connectNatsBus } from '../../../bus/nats/transport.js';
import { startNats, type RunningNats } from '../../support/nats.js';
import { freePort, tempDir } from '../../support/processes.js';
import { missingTools } from '../../support/requirements.js';
import { eventually } from '../../unit/bus/fixtures.js';

const busConfig = (url: string, extra: Partial<BusConfig> = {}): BusConfig => ({ url, transport: 'nats', servers: [url], ...extra });

describe('NatsBus', { skip: missingTools('nats-server') }, () => {
  const servers: RunningNats[] = [];
  after(async () => {
    for (const s of servers) await s.stop();
  });

  it('keeps publishes made while the server is down and delivers them, in order, after it comes back', async () => {
    const nats = await startNats();
    servers.push(nats);
    const bus = await connectNatsBus(busConfig(nats.url), { name: 'reconnect-test', reconnectTimeWaitMs: 50 });
    const statuses: BusStatus[] = [];
    bus.onStatus((s) => statuses.push(s));
    const got: Json[] = [];
    bus.subscribe('held.>', (msg) => got.push(msg.data));
    await bus.flush();
    bus.publish('held.x', 0);
    await eventually(() => got.length === 1, 'the first message');

    await nats.stop();
    await eventually(() => bus.status() !== 'connected', 'the client to notice the outage');
    for (let i = 1; i <= 50; i++) assert.doesNotThrow(() => bus.publish('held.x', i));
    assert.equal(bus.stats().buffered, 50);

    await nats.restart();
    await eventually(() => bus.status() === 'connected', 'reconnect');
    await bus.flush();
    await eventually(() => got.length === 51, `51 messages (got ${got.length})`);
    assert.deepEqual(got, Array.from({ length: 51 }, (_, i) => i));
    assert.equal(bus.stats().dropped, 0);
    assert.ok(statuses.includes('disconnected') || statuses.includes('reconnecting'), statuses.join(','));
    assert.equal(statuses.at(-1), 'connected');
    await bus.close();
  });

  it('bounds the reconnect buffer and counts what it refuses', async () => {
    const nats = await startNats();
    servers.push(nats);
    const bus = await connectNatsBus(busConfig(nats.url), { name: 'bound-test', reconnectTimeWaitMs: 50 }, { reconnectBufferBytes: 1000 });
    await nats.stop();
    await eventually(() => bus.status() !== 'connected', 'the client to notice the outage');
    for (let i = 0; i < 100; i++) bus.publish('bound.x', { i, pad: 'x'.repeat(40) });
    const { buffered, dropped } = bus.stats();
    assert.ok(buffered > 0 && buffered < 100, `buffered ${buffered}`);
    assert.equal(buffered + dropped, 100);
    await bus.close();
    assert.equal(bus.stats().dropped, 100, 'held messages are dropped (and counted) on close');
  });

  it('authenticates with user and a password taken from the environment named in config', async () => {
    const nats = await startNats({ args: ['--user', 'edge', '--pass', 's3cret-pw'] });
    servers.push(nats);
    const env = { TLSEDGE_TEST_NATS_PASSWORD: 's3cret-pw' };
    const bus = await connectNatsBus(busConfig(nats.url, { user: 'edge', passwordEnv: 'TLSEDGE_TEST_NATS_PASSWORD' }), { name: 'auth-test', env });
    bus.serve('auth.echo', (d) => d);
    assert.equal(await bus.request('auth.echo', 'ok', { timeoutMs: 5000 }), 'ok');
    await bus.close();
    await assert.rejects(
      connectNatsBus(busConfig(nats.url, { user: 'edge', passwordEnv: 'TLSEDGE_TEST_NATS_PASSWORD' }), { name: 'auth-test', env: { TLSEDGE_TEST_NATS_PASSWORD: 'wrong' } }),
      (e: unknown) => e instanceof BusError && e.code === 'connect_failed' && !e.message.includes('wrong'),
    );
    await assert.rejects(
      connectNatsBus(busConfig(nats.url, { user: 'edge', passwordEnv: 'TLSEDGE_UNSET_VARIABLE' }), { name: 'auth-test', env: {} }),
      (e: unknown) => e instanceof BusError && e.code === 'connect_failed' && e.message.includes('TLSEDGE_UNSET_VARIABLE'),
    );
  });

  it('fails with connect_failed naming the server when nothing listens, and when a creds file is missing', async () => {
    const url = `nats://127.0.0.1:${await freePort()}`;
    await assert.rejects(connectNatsBus(busConfig(url), { name: 'nobody', connectTimeoutMs: 2000 }), (e: unknown) => e instanceof BusError && e.code === 'connect_failed' && e.message.includes(url));
    const missing = join(tempDir(), 'edge.creds');
    await assert.rejects(connectNatsBus(busConfig(url, { credsFile: missing }), { name: 'nobody' }), (e: unknown) => e instanceof BusError && e.code === 'connect_failed' && e.message.includes(missing));
    const seed = join(tempDir(), 'seed.nk');
    writeFileSync(seed, 'not a seed');
    await assert.rejects(connectNatsBus(busConfig(url, { nkeySeedFile: seed }), { name: 'nobody', connectTimeoutMs: 2000 }), (e: unknown) => e instanceof BusError && e.code === 'connect_failed');
  });
});
