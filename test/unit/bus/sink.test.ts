import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LogConfig } from '../../../adapters/config/model.js';
import { subscribeEvents } from '../../../bus/codec.js';
import type { AnyEvent } from '../../../bus/envelope.js';
import { JsonlEventReader } from '../../../bus/log/jsonl-reader.js';
import { openJsonlWriter } from '../../../bus/log/jsonl-writer.js';
import { EmbeddedEventSink, openEventLog } from '../../../bus/log/sink.js';
import { MemoryBus } from '../../../bus/memory/transport.js';
import { EventRecorder } from '../../../bus/recorder.js';
import { tempDir } from '../../support/processes.js';
import { all, eventually, makeEvent } from './fixtures.js';

const logConfig = (): LogConfig => ({ dir: tempDir('tlsedge-log-'), segmentBytes: 1 << 20, fsync: 'interval', fsyncIntervalMs: 1000, maxSegments: 0, stream: 'EVENTS', maxAgeMs: 86_400_000 });

describe('openEventLog (embedded)', () => {
  it('stores recorded events in the JSONL log and publishes them live on tlsedge.evt.<actor>.<id>.<fact>', async () => {
    const bus = new MemoryBus();
    const log = await openEventLog({ log: logConfig(), bus });
    const live: Array<[string, AnyEvent]> = [];
    subscribeEvents(bus, 'tlsedge.evt.connection.*.*', (e, msg) => live.push([msg.subject, e]));
    const recorder = new EventRecorder(log.sink, 'node1', 'connection');
    const stream = recorder.stream('conn-42');
    stream.emit('tlsedge.connection.accepted', { remote: '127.0.0.1:5555' });
    stream.emit('tlsedge.connection.policy_selected', { rule: 0 }, 'example.test');
    await log.sink.flush();
    await eventually(() => live.length === 2, 'two live events');
    assert.deepEqual(live.map(([s]) => s), ['tlsedge.evt.connection.conn-42.accepted', 'tlsedge.evt.connection.conn-42.policy_selected']);
    const stored = await all(log.reader.read({ correlationId: 'conn-42' }));
    assert.deepEqual(stored.map((e) => [e.type, e.sequence, e.subject]), [
      ['tlsedge.connection.accepted', 1, undefined],
      ['tlsedge.connection.policy_selected', 2, 'example.test'],
    ]);
    await log.close();
    await bus.close();
  });
});

describe('EmbeddedEventSink', () => {
  it('logs an event whose type has no subject form, counting it as unroutable instead of throwing', async () => {
    const bus = new MemoryBus();
    const config = logConfig();
    const sink = new EmbeddedEventSink(await openJsonlWriter({ config }), bus);
    const odd = makeEvent({ type: 'other.thing' });
    assert.doesNotThrow(() => sink.append(odd));
    await sink.close();
    assert.deepEqual((await all(new JsonlEventReader(config.dir).read())).map((e) => e.id), [odd.id]);
    assert.equal(sink.stats().unroutable, 1);
    await bus.close();
  });
});
