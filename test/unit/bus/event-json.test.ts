import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnyEvent } from '../../../bus/envelope.js';
import { encodeEvent, encodeJson, withMemoizedJsonText, withOwnJsonText } from '../../../bus/event-json.js';

function event(data: unknown, extra: Partial<AnyEvent> = {}): AnyEvent {
  return {
    specversion: '1.0',
    id: 'n1-abc-1',
    source: '/tlsedge/n1/connection',
    type: 'tlsedge.connection.accepted',
    time: '2026-11-27T00:00:00.000Z',
    datacontenttype: 'application/json',
    data,
    sequence: 1,
    correlationid: 'c-1',
    ...extra,
  };
}

describe('event JSON text', () => {
  it('is JSON.stringify’s text for ordinary data', () => {
    for (const data of [{ a: 1, b: ['x', 'y'] }, null, 'text', 42, [1, { c: null }], { quote: '"\\\n\u2028' }]) {
      const e = event(data, { subject: 'a.test' });
      assert.equal(encodeEvent(e), JSON.stringify(e));
    }
  });

  it('takes self-encoding data’s own text and keeps every attribute, in order, without undefined ones', () => {
    const data = withOwnJsonText({ visible: 1 }, function () {
      return `{"visible":${this.visible},"own":true}`;
    });
    const e = event(data, { subject: 'he said "hi"' });
    (e as unknown as Record<string, unknown>).traceparent = undefined;
    const text = encodeEvent(e);
    const parsed = JSON.parse(text) as Record<string, unknown>;
    assert.deepEqual(parsed.data, { visible: 1, own: true }, 'the data wrote itself');
    assert.deepEqual(Object.keys(parsed), ['specversion', 'id', 'source', 'type', 'time', 'datacontenttype', 'data', 'sequence', 'correlationid', 'subject']);
    assert.equal(parsed.subject, 'he said "hi"');
    // the byte patterns the log reader's pre-filter looks for (bus/log/filter.ts)
    assert.ok(text.includes('"correlationid":"c-1"') && text.includes('"type":"tlsedge.connection.accepted"'));
  });

  it('is invisible to JSON.stringify, spreads and deep equality', () => {
    const data = withOwnJsonText({ a: 1 }, () => '{"a":2}');
    assert.equal(JSON.stringify(data), '{"a":1}');
    assert.deepStrictEqual(data, { a: 1 });
    assert.equal(encodeJson({ ...data }), '{"a":1}', 'a copy is ordinary data again');
    assert.equal(encodeJson(data), '{"a":2}');
  });

  it('writes shared data once: a memoized object encodes as JSON.stringify did the first time', () => {
    const facts = withMemoizedJsonText({ rule: 0, match: '*.example.test', alpn: ['h2', 'http/1.1'], tls: { min: '1.2', max: '1.3' } });
    const first = event(facts, { id: 'n1-abc-1' });
    const second = event(facts, { id: 'n1-abc-2', sequence: 2 });
    assert.equal(encodeEvent(first), JSON.stringify(first));
    assert.equal(encodeEvent(second), JSON.stringify(second));
    // the text is kept: that is the point (and why such objects must not change)
    facts.rule = 7;
    assert.equal(JSON.parse(encodeEvent(second)).data.rule, 0);
  });
});
