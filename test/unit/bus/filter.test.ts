import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compileFilter, lineNeedle } from '../../../bus/log/filter.js';
import type { EventFilter } from '../../../bus/log/types.js';
import { makeEvent } from './fixtures.js';

describe('compileFilter', () => {
  const a = makeEvent({ fact: 'accepted', correlationid: 'conn-a', subject: 'example.test', time: '2030-01-01T00:00:00.000Z' });
  const b = makeEvent({ fact: 'handshake_completed', correlationid: 'conn-b', time: '2030-01-01T00:00:05.000Z' });
  const c = { ...makeEvent({ correlationid: 'k1', time: '2030-01-01T00:00:10.000Z' }), type: 'tlsedge.session.stored' };
  const events = [a, b, c];
  const ids = (filter: EventFilter): string[] => events.filter(compileFilter(filter)).map((e) => e.id);

  it('selects by correlation id, subject, exact type, type prefix (`.` or `*`) and since', () => {
    assert.deepEqual(ids({}), [a.id, b.id, c.id]);
    assert.deepEqual(ids({ correlationId: 'conn-b' }), [b.id]);
    assert.deepEqual(ids({ subject: 'example.test' }), [a.id]);
    assert.deepEqual(ids({ types: ['tlsedge.session.stored'] }), [c.id]);
    assert.deepEqual(ids({ types: ['tlsedge.connection.*'] }), [a.id, b.id]);
    assert.deepEqual(ids({ types: ['tlsedge.connection.'] }), [a.id, b.id]);
    assert.deepEqual(ids({ types: ['tlsedge.connection.hand*', 'tlsedge.session.stored'] }), [b.id, c.id]);
    assert.deepEqual(ids({ since: new Date('2030-01-01T00:00:05.000Z') }), [b.id, c.id]);
    assert.deepEqual(ids({ correlationId: 'conn-a', types: ['tlsedge.session.*'] }), []);
  });
});

describe('lineNeedle', () => {
  it('is contained in the JSON line of every event the filter matches', () => {
    const text = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !s.includes('\n'));
    fc.assert(
      fc.property(text, text, fc.constantFrom('accepted', 'closed', 'handshake_completed'), fc.constantFrom('exact', 'prefix', 'star'), (id, subject, fact, mode) => {
        const event = makeEvent({ correlationid: id, subject, fact });
        const line = JSON.stringify(event);
        const type = mode === 'exact' ? event.type : mode === 'prefix' ? 'tlsedge.connection.' : 'tlsedge.conn*';
        for (const filter of [{ correlationId: id }, { subject }, { types: [type] }] as EventFilter[]) {
          assert.ok(compileFilter(filter)(event));
          const needle = lineNeedle(filter);
          assert.ok(needle !== undefined && line.includes(needle), `${needle} not in ${line}`);
        }
      }),
    );
  });

  it('gives no needle when the filter has nothing selective', () => {
    assert.equal(lineNeedle({}), undefined);
    assert.equal(lineNeedle({ types: ['a.b', 'c.d'] }), undefined);
    assert.equal(lineNeedle({ since: new Date() }), undefined);
  });
});
