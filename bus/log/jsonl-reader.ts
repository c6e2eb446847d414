// Reads the embedded event log (JSONL segments written by jsonl-writer.ts): filtered reads and a
// follow mode that watches the directory and moves across rotations. A torn line is skipped and counted.
import { watch, type FSWatcher } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { validateEvent } from '../codec.js';
import type { AnyEvent } from '../envelope.js';
import { compileFilter, lineNeedle, type EventPredicate } from './filter.js';
import { listSegments, type SegmentFile } from './segments.js';
import type { EventFilter, EventLogReader } from './types.js';

export interface JsonlReaderOptions {
  /** Fallback poll period when the directory watch misses a change (default 250 ms). */
  pollMs?: number;
  /** Read size (default 1 MiB). */
  chunkBytes?: number;
}

export interface JsonlReaderStats {
  /** Lines that are not JSON (a write cut short by a crash, or damage), plus unterminated tails of finished segments. */
  tornLines: number;
  /** JSON lines that are not valid events (bus/codec.ts). */
  invalidEvents: number;
  /** Lines decoded with JSON.parse (the pre-filter keeps this far below the line count for selective reads). */
  parsedLines: number;
}

interface ScanContext {
  readonly predicate: EventPredicate;
  /** UTF-8 bytes every matching line contains, or undefined to parse every line. */
  readonly needle: Buffer | undefined;
}

/** A line longer than this is damage, not an event: skipped and counted as torn. */
const MAX_LINE_BYTES = 16 * 1024 * 1024;
/** Segment open times come from the writer's clock, event times from the recorder's: allow for skew. */
const SINCE_SLACK_MS = 1000;

export class JsonlEventReader implements EventLogReader {
  private readonly pollMs: number;
  private readonly chunkBytes: number;
  private readonly counters: JsonlReaderStats = { tornLines: 0, invalidEvents: 0, parsedLines: 0 };
  private readonly followers = new Set<AbortController>();

  constructor(
    readonly dir: string,
    options: JsonlReaderOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 250;
    this.chunkBytes = options.chunkBytes ?? 1024 * 1024;
  }

  stats(): JsonlReaderStats {
    return { ...this.counters };
  }

  async *read(filter: EventFilter = {}): AsyncGenerator<AnyEvent> {
    const ctx = context(filter);
    const segments = await listSegments(this.dir);
    for (let i = firstSegment(segments, filter.since); i < segments.length; i++) {
      yield* this.scan(segments[i]!.path, 0, ctx, i < segments.length - 1);
    }
  }

  async *follow(filter: EventFilter & { fromStart?: boolean }, signal: AbortSignal): AsyncGenerator<AnyEvent> {
    const ctx = context(filter);
    const stop = new AbortController();
    this.followers.add(stop);
    const onAbort = (): void => stop.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) stop.abort();
    const changes = new ChangeWaiter(this.dir, this.pollMs, stop.signal);
    try {
      let segments = await listSegments(this.dir);
      let current: SegmentFile | undefined;
      let offset = 0;
      if (filter.fromStart || filter.since) {
        for (let i = firstSegment(segments, filter.since); i < segments.length && !stop.signal.aborted; i++) {
          current = segments[i]!;
          offset = yield* this.scan(current.path, 0, ctx, i < segments.length - 1);
        }
      } else {
        current = segments.at(-1);
        offset = current ? await endOfCompleteLines(current.path) : 0;
      }
      while (!stop.signal.aborted) {
        if (current) offset = yield* this.scan(current.path, offset, ctx, false);
        segments = await listSegments(this.dir);
        const next = segments.find((s) => current === undefined || s.seq > current.seq);
        if (next) {
          // the writer finishes a segment before it creates the next: read the old one to its end first
          if (current) yield* this.scan(current.path, offset, ctx, true);
          current = next;
          offset = 0;
          continue;
        }
        await changes.wait();
      }
    } finally {
      changes.close();
      signal.removeEventListener('abort', onAbort);
      this.followers.delete(stop);
    }
  }

  /** Ends every follow in progress. */
  async close(): Promise<void> {
    for (const follower of this.followers) follower.abort();
    this.followers.clear();
  }

  /**
   * Yields matching events of one segment from byte `from`; returns the offset after the last
   * complete line. `finished`: the segment will not grow, so an unterminated tail is torn.
   */
  private async *scan(path: string, from: number, ctx: ScanContext, finished: boolean): AsyncGenerator<AnyEvent, number> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return from; // removed by retention meanwhile
      throw error;
    }
    let base = from; // file offset of buffer[0]
    let readAt = from;
    let carry: Buffer | undefined;
    const chunk = Buffer.allocUnsafe(this.chunkBytes);
    try {
      for (;;) {
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, readAt);
        if (bytesRead === 0) break;
        readAt += bytesRead;
        const buffer = carry ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
        const end = buffer.lastIndexOf(10) + 1;
        if (end === 0) {
          if (buffer.length > MAX_LINE_BYTES) {
            this.counters.tornLines++;
            base += buffer.length;
            carry = undefined;
          } else {
            carry = Buffer.from(buffer);
          }
          continue;
        }
        const events = this.parseLines(buffer, end, ctx);
        base += end;
        carry = end < buffer.length ? Buffer.from(buffer.subarray(end)) : undefined;
        for (const event of events) yield event;
      }
      if (carry && finished) this.counters.tornLines++;
      return base;
    } finally {
      await handle.close();
    }
  }

  /** Matching events among the complete lines in buffer[0, end). */
  private parseLines(buffer: Buffer, end: number, ctx: ScanContext): AnyEvent[] {
    const out: AnyEvent[] = [];
    const { needle } = ctx;
    let pos = 0;
    while (pos < end) {
      let lineStart = pos;
      if (needle) {
        const hit = buffer.indexOf(needle, pos);
        if (hit === -1 || hit >= end) break;
        lineStart = hit === 0 ? 0 : buffer.lastIndexOf(10, hit - 1) + 1;
        if (lineStart < pos) lineStart = pos;
        pos = hit;
      }
      const lineEnd = buffer.indexOf(10, pos);
      if (lineEnd > lineStart) this.consider(buffer.toString('utf8', lineStart, lineEnd), ctx.predicate, out);
      pos = lineEnd + 1;
    }
    return out;
  }

  private consider(line: string, predicate: EventPredicate, out: AnyEvent[]): void {
    let value: unknown;
    this.counters.parsedLines++;
    try {
      value = JSON.parse(line);
    } catch {
      this.counters.tornLines++;
      return;
    }
    const checked = validateEvent(value);
    if (!checked.ok) {
      this.counters.invalidEvents++;
      return;
    }
    if (predicate(checked.event)) out.push(checked.event);
  }
}

function context(filter: EventFilter): ScanContext {
  const needle = lineNeedle(filter);
  return { predicate: compileFilter(filter), needle: needle === undefined ? undefined : Buffer.from(needle) };
}

/** Index of the first segment that can hold events at or after `since` (each segment's events predate the next one's opening). */
function firstSegment(segments: readonly SegmentFile[], since: Date | undefined): number {
  if (!since) return 0;
  const limit = since.getTime() - SINCE_SLACK_MS;
  let i = 0;
  while (i + 1 < segments.length && segments[i + 1]!.openedAt.getTime() < limit) i++;
  return i;
}

/** Offset just after the last newline of a file (a follow starts there, so a half-written line is read whole later). */
async function endOfCompleteLines(path: string): Promise<number> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch {
    return 0;
  }
  try {
    const { size } = await handle.stat();
    const step = 64 * 1024;
    const buffer = Buffer.allocUnsafe(step);
    for (let end = size; end > 0; end -= step) {
      const start = Math.max(0, end - step);
      const { bytesRead } = await handle.read(buffer, 0, end - start, start);
      const nl = buffer.subarray(0, bytesRead).lastIndexOf(10);
      if (nl !== -1) return start + nl + 1;
    }
    return 0;
  } finally {
    await handle.close();
  }
}

/** Wakes a follower when the directory changes (fs.watch), or every `pollMs` in case a change was missed. */
class ChangeWaiter {
  private watcher: FSWatcher | undefined;
  private dirty = false;
  private wake: (() => void) | undefined;

  constructor(dir: string, private readonly pollMs: number, private readonly signal: AbortSignal) {
    try {
      this.watcher = watch(dir, { persistent: false }, () => this.notify());
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = undefined; // polling still works
      });
    } catch {
      this.watcher = undefined; // no directory yet, or no inotify: poll
    }
    signal.addEventListener('abort', () => this.notify(), { once: true });
  }

  wait(): Promise<void> {
    if (this.dirty || this.signal.aborted) {
      this.dirty = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.notify(), this.pollMs);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  close(): void {
    this.watcher?.close();
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    if (wake) {
      this.wake = undefined;
      this.dirty = false;
      wake();
    } else {
      this.dirty = true;
    }
  }
}
