import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { LogConfig } from '../../../adapters/config/model.js';
import { LogError } from '../../../bus/log/errors.js';
import { encodeLines, openJsonlWriter } from '../../../bus/log/jsonl-writer.js';
import fc from 'fast-check';
import { listSegments } from '../../../bus/log/segments.js';
import { tempDir } from '../../support/processes.js';
import { makeEvent } from './fixtures.js';

function config(overrides: Partial<LogConfig> = {}): LogConfig {
  return { dir: tempDir('tlsedge-log-'), segmentBytes: 64 * 1024 * 1024, fsync: 'interval', fsyncIntervalMs: 1000, maxSegments: 0, stream: 'EVENTS', maxAgeMs: 86_400_000, ...overrides };
}

function linesOf(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith('.jsonl'))
    .sort()
    .flatMap((n) => readFileSync(join(dir, n), 'utf8').split('\n').filter((l) => l.length > 0));
}

describe('JsonlEventWriter', () => {
  it('writes each appended event as one JSON line, in order, once flushed', async () => {
    const c = config();
    const writer = await openJsonlWriter({ config: c });
    const events = Array.from({ length: 100 }, () => makeEvent());
    for (const e of events) writer.append(e);
    await writer.flush();
    assert.deepEqual(linesOf(c.dir).map((l) => JSON.parse(l).id), events.map((e) => e.id));
    assert.equal(writer.stats().pending, 0);
    assert.equal(writer.stats().appended, 100);
    await writer.close();
  });

  it('batches: thousands of appends become a handful of writes, not one per event', async () => {
    const c = config();
    const writer = await openJsonlWriter({ config: c });
    for (let i = 0; i < 5000; i++) writer.append(makeEvent());
    assert.equal(writer.stats().batches, 0, 'append must not write synchronously');
    await writer.flush();
    const { batches, bytes } = writer.stats();
    assert.ok(batches <= Math.ceil(bytes / (64 * 1024)) + 2, `${batches} writes for ${bytes} bytes`);
    assert.equal(linesOf(c.dir).length, 5000);
    await writer.close();
  });

  it('writes a lone event without an explicit flush (the batch timer fires)', async () => {
    const c = config();
    const writer = await openJsonlWriter({ config: c, batchMs: 1 });
    writer.append(makeEvent());
    const deadline = Date.now() + 10_000;
    while (linesOf(c.dir).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.equal(linesOf(c.dir).length, 1);
    await writer.close();
  });

  it('rotates by segmentBytes at line boundaries, in sequence order, keeping every event', async () => {
    const c = config({ segmentBytes: 2048 });
    const writer = await openJsonlWriter({ config: c });
    const events = Array.from({ length: 200 }, () => makeEvent());
    for (const e of events) writer.append(e);
    await writer.close();
    const segments = await listSegments(c.dir);
    assert.ok(segments.length > 5, `only ${segments.length} segments`);
    assert.deepEqual(segments.map((s) => s.seq), segments.map((_, i) => i + 1));
    for (const s of segments) {
      const text = readFileSync(s.path, 'utf8');
      assert.ok(statSync(s.path).size <= 2048, `${s.name} is ${statSync(s.path).size} bytes`);
      assert.ok(text.endsWith('\n'), `${s.name} ends mid-line`);
    }
    assert.deepEqual(linesOf(c.dir).map((l) => JSON.parse(l).id), events.map((e) => e.id));
  });

  it('gives a line longer than a segment a segment of its own', async () => {
    const c = config({ segmentBytes: 512 });
    const writer = await openJsonlWriter({ config: c });
    const big = makeEvent({ data: { blob: 'x'.repeat(2000) } });
    writer.append(makeEvent());
    writer.append(big);
    writer.append(makeEvent());
    await writer.close();
    const lines = linesOf(c.dir).map((l) => JSON.parse(l).id);
    assert.equal(lines.length, 3);
    assert.equal(lines[1], big.id);
  });

  it('keeps at most maxSegments segments, deleting the oldest', async () => {
    const c = config({ segmentBytes: 1024, maxSegments: 3 });
    const writer = await openJsonlWriter({ config: c });
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 10; i++) writer.append(makeEvent());
      await writer.flush();
    }
    await writer.close();
    const segments = await listSegments(c.dir);
    assert.equal(segments.length, 3);
    assert.ok(segments[0]!.seq > 1, 'the oldest segments were not deleted');
    assert.ok(writer.stats().rotations > 3);
  });

  it('continues numbering after the segments already in the directory (a restart never reuses a name)', async () => {
    const c = config();
    const first = await openJsonlWriter({ config: c });
    first.append(makeEvent());
    await first.close();
    const second = await openJsonlWriter({ config: c });
    second.append(makeEvent());
    await second.close();
    assert.deepEqual((await listSegments(c.dir)).map((s) => s.seq), [1, 2]);
  });

  it('refuses a directory already being written (here or by another live process), and takes over a lock left by a dead one', async () => {
    const c = config();
    const writer = await openJsonlWriter({ config: c });
    await assert.rejects(openJsonlWriter({ config: c }), (e: unknown) => e instanceof LogError && e.code === 'locked');
    await writer.close();
    writeFileSync(join(c.dir, '.writer.lock'), String(process.ppid)); // our parent: alive
    await assert.rejects(openJsonlWriter({ config: c }), (e: unknown) => e instanceof LogError && e.code === 'locked' && e.message.includes(String(process.ppid)));
    writeFileSync(join(c.dir, '.writer.lock'), '999999999'); // no such pid
    const again = await openJsonlWriter({ config: c });
    await again.close();
  });

  it('counts appends after close as dropped and never throws', async () => {
    const writer = await openJsonlWriter({ config: config() });
    await writer.close();
    assert.doesNotThrow(() => writer.append(makeEvent()));
    assert.equal(writer.stats().dropped, 1);
  });

  it('drops and counts what exceeds maxPendingBytes, and events that cannot be serialised', async () => {
    const c = config();
    const writer = await openJsonlWriter({ config: c, maxPendingBytes: 1500, batchMs: 60_000, batchBytes: 1 << 30 });
    for (let i = 0; i < 20; i++) writer.append(makeEvent());
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    writer.append(makeEvent({ data: cyclic }));
    const { appended, dropped } = writer.stats();
    assert.ok(dropped > 1 && appended + dropped === 21, `appended ${appended}, dropped ${dropped}`);
    await writer.close();
    assert.equal(linesOf(c.dir).length, appended);
  });

  it('reports pending events until they are written and synced', async () => {
    for (const fsync of ['always', 'interval', 'never'] as const) {
      const writer = await openJsonlWriter({ config: config({ fsync }), batchMs: 60_000 });
      writer.append(makeEvent());
      writer.append(makeEvent());
      assert.equal(writer.stats().pending, 2);
      await writer.flush();
      assert.equal(writer.stats().pending, 0, fsync);
      assert.equal(writer.stats().syncs > 0, fsync !== 'never', fsync);
      await writer.close();
    }
  });
});

describe('encodeLines (a batch straight to UTF-8)', () => {
  const reference = (lines: string[]) => Buffer.from(lines.map((l) => l + '\n').join(''));
  const units = (lines: string[]) => lines.reduce((n, l) => n + l.length + 1, 0);

  it('gives the bytes of the joined lines, for any text, whether the first size guess fits or not', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 200 }), { maxLength: 30 }), fc.integer({ min: 1, max: 4 }), (lines, shrink) => {
        const expected = reference(lines);
        assert.deepEqual(encodeLines(lines, units(lines)), expected);
        // A guess far too small (as if every character were one byte and then some) still works.
        assert.deepEqual(encodeLines(lines, Math.max(1, Math.floor(units(lines) / shrink))), expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps multi-byte characters and surrogate pairs whole across a grow', () => {
    const lines = ['{"sni":"bücher.example"}', '😀'.repeat(40), '', 'plain'];
    assert.equal(encodeLines(lines, 3).toString('utf8'), lines.join('\n') + '\n');
  });
});
