// The NATS-mode event log against a real nats-server with JetStream: stream setup, durable
// publishing with dedup, the reader's filters and follow, and surviving a server restart.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import type { BusConfig, LogConfig } from '../../../adapters/config/model.js';
import { subscribeEvents } from '../../../bus/codec.js';
import type { AnyEvent } from '../../../bus/envelope.js';
import { ensureEventStream, filterSubjectFor, JetStreamEventPublisher, JetStreamEventReader } from '../../../bus/log/jetstream.js';
import { openEventLog } from '../../../bus/log/sink.js';
import { connectNatsBus, type NatsBus } from '../../../bus/nats/transport.js';
import { EventRecorder } from '../../../bus/recorder.js';
import { startNats, type RunningNats } from '../../support/nats.js';
import { missingTools } from '../../support/requirements.js';
import { all, eventually, makeEvent, take } from '../../unit/bus/fixtures.js';

let streams = 0;
/** A fresh stream name per test: only one stream may own `tlsedge.evt.>`, so afterEach deletes it. */
const logConfig = (): LogConfig => ({ dir: '/nonexistent', segmentBytes: 1 << 20, fsync: 'interval', fsyncIntervalMs: 1000, maxSegments: 0, stream: `EVENTS_${++streams}`, maxAgeMs: 3_600_000 });

describe('JetStream event log', { skip: missingTools('nats-server') }, () => {
  let nats: RunningNats;
  let bus: NatsBus;
  const busConfig = (): BusConfig => ({ url: nats.url, transport: 'nats', servers: [nats.url] });

  before(async () => {
    nats = await startNats({ jetstream: true });
    bus = await connectNatsBus(busConfig(), { name: 'jetstream-log-test', reconnectTimeWaitMs: 50 });
  });
  afterEach(async () => {
    const jsm = await jetstreamManager(bus.connection);
    await jsm.streams.delete(`EVENTS_${streams}`).catch(() => false);
  });
  after(async () => {
    await bus?.close();
    await nats?.stop();
  });

  it('creates the stream over tlsedge.evt.> with the configured max age, and is idempotent', async () => {
    const config = logConfig();
    const first = await ensureEventStream(bus.connection, config);
    assert.deepEqual(first.config.subjects, ['tlsedge.evt.>']);
    const again = await ensureEventStream(bus.connection, config);
    assert.equal(again.created.toString(), first.created.toString());
    const longer = await ensureEventStream(bus.connection, { ...config, maxAgeMs: 7_200_000 });
    assert.equal(longer.config.max_age, 7_200_000 * 1_000_000);
  });

  it('stores every appended event once, deduplicating a re-sent id', async () => {
    const config = logConfig();
    await ensureEventStream(bus.connection, config);
    const publisher = new JetStreamEventPublisher(bus, { stream: config.stream });
    const events = Array.from({ length: 1000 }, () => makeEvent());
    for (const e of events) publisher.append(e);
    publisher.append(events[0]!); // same id again: the stream keeps one
    await publisher.flush();
    const stats = publisher.stats();
    assert.equal(stats.acked, 1001);
    assert.equal(stats.duplicates, 1);
    assert.equal(stats.pending, 0);
    const jsm = await jetstreamManager(bus.connection);
    assert.equal((await jsm.streams.info(config.stream)).state.messages, 1000);
    const reader = new JetStreamEventReader(bus.connection, config.stream);
    assert.deepEqual((await all(reader.read())).map((e) => e.id), events.map((e) => e.id));
    await publisher.close();
  });

  it('reads by correlation id, type and subject with a narrow server-side filter', async () => {
    const config = logConfig();
    await ensureEventStream(bus.connection, config);
    const publisher = new JetStreamEventPublisher(bus, { stream: config.stream });
    const a1 = makeEvent({ correlationid: 'conn-a', fact: 'accepted', subject: 'x.test' });
    const b1 = makeEvent({ correlationid: 'conn-b', fact: 'accepted' });
    const a2 = makeEvent({ correlationid: 'conn-a', fact: 'handshake_completed', subject: 'x.test' });
    const s1 = { ...makeEvent({ correlationid: 'conn-a' }), type: 'tlsedge.session.stored' };
    for (const e of [a1, b1, a2, s1]) publisher.append(e);
    await publisher.flush();
    const reader = new JetStreamEventReader(bus.connection, config.stream);
    const ids = async (filter: Parameters<JetStreamEventReader['read']>[0]): Promise<string[]> => (await all(reader.read(filter))).map((e) => e.id);
    assert.deepEqual(await ids({ correlationId: 'conn-a' }), [a1.id, a2.id, s1.id]);
    assert.deepEqual(await ids({ types: ['tlsedge.connection.accepted'] }), [a1.id, b1.id]);
    assert.deepEqual(await ids({ correlationId: 'conn-a', types: ['tlsedge.connection.*'] }), [a1.id, a2.id]);
    assert.deepEqual(await ids({ subject: 'x.test' }), [a1.id, a2.id]);
    assert.deepEqual(await ids({ correlationId: 'nobody' }), []);
    assert.equal(filterSubjectFor({ correlationId: 'conn-a', types: ['tlsedge.connection.*'] }), 'tlsedge.evt.connection.conn-a.*');
    assert.equal(filterSubjectFor({ types: ['tlsedge.connection.accepted'] }), 'tlsedge.evt.connection.*.accepted');
    assert.equal(filterSubjectFor({ types: ['tlsedge.connection.accepted', 'tlsedge.session.stored'] }), 'tlsedge.evt.>');
    await publisher.close();
  });

  it('follows new events, and core subscribers on tlsedge.evt.> see durable publishes live', async () => {
    const config = logConfig();
    await ensureEventStream(bus.connection, config);
    const publisher = new JetStreamEventPublisher(bus, { stream: config.stream });
    const live: AnyEvent[] = [];
    subscribeEvents(bus, 'tlsedge.evt.>', (e) => live.push(e));
    await bus.flush();
    const past = makeEvent({ correlationid: 'follow-me' });
    publisher.append(past);
    await publisher.flush();
    const reader = new JetStreamEventReader(bus.connection, config.stream);
    const stop = new AbortController();
    const following = take(reader.follow({ correlationId: 'follow-me', fromStart: true }, stop.signal), 3);
    const fresh = [makeEvent({ correlationid: 'follow-me' }), makeEvent({ correlationid: 'someone-else' }), makeEvent({ correlationid: 'follow-me' })];
    for (const e of fresh) publisher.append(e);
    await publisher.flush();
    const got = await following;
    stop.abort();
    assert.deepEqual(got.map((e) => e.id), [past.id, fresh[0]!.id, fresh[2]!.id]);
    await eventually(() => live.some((e) => e.id === fresh[2]!.id), 'live delivery');
    await publisher.close();
  });

  it('loses no event when NATS stops and restarts mid-stream, within the outbox bound', async () => {
    const config = logConfig();
    await ensureEventStream(bus.connection, config);
    const publisher = new JetStreamEventPublisher(bus, { stream: config.stream, outboxEvents: 10_000 });
    const recorder = new EventRecorder(publisher, 'node1', 'connection');
    const ids: string[] = [];
    const record = (n: number): void => {
      for (let i = 0; i < n; i++) ids.push(recorder.stream(`conn-${ids.length}`).emit('tlsedge.connection.accepted', { i: ids.length }).id);
    };
    record(500);
    await nats.stop(); // mid-stream: some of those may still be in flight
    record(2000); // while the server is down
    assert.equal(publisher.stats().dropped, 0);
    await nats.restart();
    record(500);
    await publisher.flush();
    const stats = publisher.stats();
    assert.equal(stats.dropped, 0);
    assert.equal(stats.pending, 0);
    const reader = new JetStreamEventReader(bus.connection, config.stream);
    const stored = (await all(reader.read())).map((e) => e.id);
    assert.equal(new Set(stored).size, stored.length, 'an event was stored twice');
    assert.deepEqual(new Set(stored), new Set(ids));
    await publisher.close();
  });

  it('enforces the outbox bound while NATS is down and counts what it could not keep', async () => {
    const config = logConfig();
    await ensureEventStream(bus.connection, config);
    const publisher = new JetStreamEventPublisher(bus, { stream: config.stream, outboxEvents: 100 });
    await nats.stop();
    await eventually(() => bus.status() !== 'connected', 'the client to notice the outage');
    for (let i = 0; i < 250; i++) publisher.append(makeEvent());
    assert.deepEqual([publisher.stats().pending, publisher.stats().dropped], [100, 150]);
    await nats.restart();
    await publisher.flush();
    const jsm = await jetstreamManager(bus.connection);
    assert.equal((await jsm.streams.info(config.stream)).state.messages, 100);
    assert.equal(publisher.stats().dropped, 150);
    await publisher.close();
  });

  it('openEventLog over NATS records through the stream and reads back', async () => {
    const config = logConfig();
    const log = await openEventLog({ log: config, bus });
    const recorder = new EventRecorder(log.sink, 'node2', 'session');
    recorder.stream('k1').emit('tlsedge.session.stored', { keyId: 'k1' });
    await log.sink.flush();
    const got = await all(log.reader.read({ types: ['tlsedge.session.*'] }));
    assert.deepEqual(got.map((e) => [e.type, e.correlationid]), [['tlsedge.session.stored', 'k1']]);
    await log.close();
  });
});
