import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isoNow } from '../../../bus/recorder.js';

describe('isoNow (event time)', () => {
  it('equals Date#toISOString across milliseconds, seconds, days and years, in any order', () => {
    const start = Date.UTC(2026, 11, 31, 23, 59, 58, 990);
    const times: number[] = [];
    for (let ms = start; ms < start + 2_100; ms += 7) times.push(ms); // forwards over a year boundary
    times.push(start + 500, start - 1, start, start, start + 86_400_000 * 40, 0, 999, 1000, Date.now());
    for (let i = 0; i < 200; i++) times.push(Math.floor(Math.random() * 4_102_444_800_000)); // up to 2100
    for (const ms of times) assert.equal(isoNow(ms), new Date(ms).toISOString(), `at ${ms}`);
  });

  it('reads the clock when not given a time', () => {
    const before = Date.now();
    const parsed = Date.parse(isoNow());
    assert.ok(parsed >= before && parsed <= Date.now());
  });
});
