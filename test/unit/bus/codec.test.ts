import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BusError } from '../../../bus/bus.js';
import { decodeEvent, DropReason, errorReply, EventDecoder, replyError, subscribeEvents, validateEvent } from '../../../bus/codec.js';
import type { AnyEvent } from '../../../bus/envelope.js';
import { MemoryBus } from '../../../bus/memory/transport.js';
import { EventRecorder } from '../../../bus/recorder.js';
import { eventually, makeEvent } from './fixtures.js';

describe('validateEvent', () => {
  it('accepts an event built by EventRecorder', () => {
    const seen: AnyEvent[] = [];
    const recorder = new EventRecorder({ append: (e) => seen.push(e) }, 'node1', 'connection');
    recorder.stream('conn-1').emit('tlsedge.connection.accepted', { remote: '127.0.0.1' }, 'example.test');
    const result = validateEvent(JSON.parse(JSON.stringify(seen[0])));
    assert.equal(result.ok, true);
  });

  for (const attr of ['specversion', 'id', 'source', 'type', 'time', 'correlationid', 'sequence', 'data'] as const) {
    it(`rejects an event without ${attr} as missing_attribute naming it`, () => {
      const event: Record<string, unknown> = { ...makeEvent() };
      delete event[attr];
      const result = validateEvent(event);
      assert.equal(result.ok, false);
      assert.ok(!result.ok && result.reason === DropReason.MissingAttribute && result.detail.startsWith(attr));
    });
  }

  it('rejects specversion other than 1.0, wrong attribute types, bad time and bad names', () => {
    const cases: Array<[Record<string, unknown>, DropReason]> = [
      [{ ...makeEvent(), specversion: '0.3' }, DropReason.BadSpecversion],
      [{ ...makeEvent(), id: 7 }, DropReason.BadAttribute],
      [{ ...makeEvent(), source: '' }, DropReason.BadAttribute],
      [{ ...makeEvent(), subject: 42 }, DropReason.BadAttribute],
      [{ ...makeEvent(), time: 'yesterday' }, DropReason.BadAttribute],
      [{ ...makeEvent(), time: '2024-13-45T99:00:00Z' }, DropReason.BadAttribute],
      [{ ...makeEvent(), sequence: -1 }, DropReason.BadAttribute],
      [{ ...makeEvent(), sequence: 1.5 }, DropReason.BadAttribute],
      [{ ...makeEvent(), correlationId: 'camel' }, DropReason.BadAttributeName],
    ];
    for (const [event, reason] of cases) {
      const result = validateEvent(event);
      assert.ok(!result.ok, `accepted ${JSON.stringify(event)}`);
      assert.equal(result.reason, reason, JSON.stringify(event));
    }
    assert.equal(validateEvent([1, 2]).ok, false);
    assert.equal(validateEvent(null).ok, false);
  });

  it('never echoes attribute values in the drop detail', () => {
    const result = validateEvent({ ...makeEvent(), time: 'secret-value-123' });
    assert.ok(!result.ok && !result.detail.includes('secret-value-123'));
  });
});

describe('decodeEvent', () => {
  it('reports not_json for bytes that are not UTF-8 JSON', () => {
    const bad = decodeEvent(new Uint8Array([0xff, 0xfe, 0x7b]));
    assert.ok(!bad.ok && bad.reason === DropReason.NotJson);
    const torn = decodeEvent('{"specversion":"1.0","id":');
    assert.ok(!torn.ok && torn.reason === DropReason.NotJson);
  });

  it('never throws on arbitrary input', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.uint8Array()), (input) => {
      decodeEvent(input);
    }));
    fc.assert(fc.property(fc.jsonValue(), (value) => {
      validateEvent(value);
    }));
  });
});

describe('EventDecoder', () => {
  it('counts accepted events and drops per reason, and tells the observer the reason', () => {
    const drops: string[] = [];
    const decoder = new EventDecoder((reason, _detail, where) => drops.push(`${reason}@${where}`));
    assert.ok(decoder.decode(JSON.stringify(makeEvent())));
    assert.equal(decoder.decode('nope', 'a.b'), undefined);
    assert.equal(decoder.check({ ...makeEvent(), specversion: '2.0' }, 'c.d'), undefined);
    const stats = decoder.stats();
    assert.equal(stats.accepted, 1);
    assert.equal(stats.dropped, 2);
    assert.equal(stats.byReason.not_json, 1);
    assert.equal(stats.byReason.bad_specversion, 1);
    assert.deepEqual(drops, ['not_json@a.b', 'bad_specversion@c.d']);
  });
});

describe('subscribeEvents', () => {
  it('delivers valid events and counts malformed messages without crashing the subscriber', async () => {
    const bus = new MemoryBus();
    const decoder = new EventDecoder();
    const got: AnyEvent[] = [];
    subscribeEvents(bus, 'tlsedge.evt.>', (e) => got.push(e), decoder);
    const good = makeEvent();
    bus.publish('tlsedge.evt.connection.c1.accepted', { garbage: true });
    bus.publish('tlsedge.evt.connection.c1.accepted', 'not an object');
    bus.publish('tlsedge.evt.connection.c1.accepted', good as never);
    await eventually(() => got.length === 1, 'one valid event');
    assert.equal(got[0]!.id, good.id);
    assert.equal(decoder.stats().dropped, 2);
    assert.equal(bus.stats().handlerErrors, 0);
    await bus.close();
  });
});

describe('errorReply / replyError', () => {
  it('round-trips an error code and message, defaulting the code to handler_error', () => {
    assert.deepEqual(replyError(errorReply(Object.assign(new Error('full'), { code: 'queue_full' }))), { code: 'queue_full', message: 'full' });
    assert.deepEqual(replyError(errorReply(new BusError('timeout', 'slow'))), { code: 'timeout', message: 'slow' });
    assert.deepEqual(replyError(errorReply(new Error('x'))), { code: 'handler_error', message: 'x' });
  });

  it('does not mistake ordinary replies for errors', () => {
    assert.equal(replyError({ error: 'text', ok: true }), undefined);
    assert.equal(replyError({ error: { code: 1, message: 'x' } }), undefined);
    assert.equal(replyError({ result: 1 }), undefined);
    assert.equal(replyError(null), undefined);
  });
});
