// The embedded event log writer: append-only JSONL segment files under `log.dir`, written in
// batches (one write per ≤ 10 ms or 64 KiB), rotated by size, pruned by count, fsynced per LogConfig.
//
// Why `fsync: interval` (every fsyncIntervalMs, 1 s by default, and on rotation/close) is the
// default: each batch is handed to the kernel within ~10 ms, so a crash of *this process* loses
// nothing the kernel already has (the page cache survives it); only a power loss or kernel panic
// loses the last ≤ 1 s of events. Connection events are diagnostics, and fsync per batch would cost
// a disk flush every 10 ms for no gain against the failure that matters most (process crashes).
import { open, rm, readFile, writeFile, mkdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogConfig } from '../../adapters/config/model.js';
import type { AnyEvent } from '../envelope.js';
import { encodeEvent } from '../event-json.js';
import { LogError } from './errors.js';
import { listSegments, segmentName } from './segments.js';
import type { EventLogStats, EventLogWriter } from './types.js';

export interface JsonlWriterOptions {
  /** `dir`, `segmentBytes`, `fsync`, `fsyncIntervalMs`, `maxSegments` are used. */
  config: Pick<LogConfig, 'dir' | 'segmentBytes' | 'fsync' | 'fsyncIntervalMs' | 'maxSegments'>;
  /** Longest an event waits before its batch is written (default 10 ms). */
  batchMs?: number;
  /** A batch this large is written at once (default 64 KiB). */
  batchBytes?: number;
  /** Bytes held in memory while the disk is slow or failing; beyond it events are dropped and counted (default 64 MiB). */
  maxPendingBytes?: number;
  /** Hears I/O failures (no event content in them). Must not throw. */
  onError?: (error: LogError) => void;
}

export interface JsonlWriterStats extends EventLogStats {
  /** Batches written (each one `write` call, or one per segment when a batch spans a rotation). */
  batches: number;
  bytes: number;
  rotations: number;
  syncs: number;
  /** I/O errors seen (the events of a failed batch are also in `dropped`). */
  errors: number;
  /** Current segment file name. */
  segment: string | undefined;
}

const LOCK_FILE = '.writer.lock';

/** Creates `config.dir`, takes its writer lock, and opens a fresh segment. */
export async function openJsonlWriter(options: JsonlWriterOptions): Promise<JsonlEventWriter> {
  const { dir } = options.config;
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw new LogError('open_failed', `cannot create log directory ${dir}`, { cause: error });
  }
  await takeLock(dir);
  const writer = new JsonlEventWriter(options);
  try {
    const existing = await listSegments(dir);
    await writer.start((existing.at(-1)?.seq ?? 0) + 1);
  } catch (error) {
    await releaseLock(dir);
    throw error instanceof LogError ? error : new LogError('open_failed', `cannot open a segment in ${dir}`, { cause: error });
  }
  return writer;
}

export class JsonlEventWriter implements EventLogWriter {
  private readonly dir: string;
  private readonly segmentBytes: number;
  private readonly fsync: LogConfig['fsync'];
  private readonly batchMs: number;
  private readonly batchBytes: number;
  private readonly maxPendingBytes: number;

  /** Lines not yet taken by a batch, and their size (UTF-16 length: close to bytes for our JSON). */
  private lines: string[] = [];
  private linesSize = 0;
  private batchQueued = false;
  private timer: NodeJS.Timeout | undefined;
  private syncTimer: NodeJS.Timeout | undefined;
  /** All file I/O runs one operation at a time, in order, on this chain. */
  private io: Promise<void> = Promise.resolve();

  private file: FileHandle | undefined;
  private segment: string | undefined;
  private seq = 0;
  private size = 0;
  /** The last write failed: start a new segment before the next one (never append after a torn line). */
  private broken = false;

  private closed = false;
  private inFlight = 0;
  private unsynced = 0;
  private readonly counters = { appended: 0, dropped: 0, batches: 0, bytes: 0, rotations: 0, syncs: 0, errors: 0 };

  /** @internal use openJsonlWriter */
  constructor(private readonly options: JsonlWriterOptions) {
    const c = options.config;
    this.dir = c.dir;
    this.segmentBytes = Math.max(1, c.segmentBytes);
    this.fsync = c.fsync;
    this.batchMs = options.batchMs ?? 10;
    this.batchBytes = options.batchBytes ?? 64 * 1024;
    this.maxPendingBytes = options.maxPendingBytes ?? 64 * 1024 * 1024;
  }

  /** @internal */
  async start(firstSeq: number): Promise<void> {
    this.seq = firstSeq - 1;
    await this.openNext();
    if (this.fsync === 'interval') {
      this.syncTimer = setInterval(() => this.enqueue(() => this.sync()), Math.max(1, this.options.config.fsyncIntervalMs));
      this.syncTimer.unref();
    }
  }

  /** O(1): serialises the event and queues the line; never throws, never waits for I/O. */
  append(event: AnyEvent): void {
    if (this.closed) {
      this.counters.dropped++;
      return;
    }
    let line: string;
    try {
      line = encodeEvent(event);
    } catch {
      this.counters.dropped++; // not JSON-serialisable (a cycle, a BigInt): cannot be kept
      return;
    }
    if (this.linesSize + line.length > this.maxPendingBytes) {
      this.counters.dropped++;
      return;
    }
    this.lines.push(line);
    this.linesSize += line.length + 1;
    this.counters.appended++;
    if (this.batchQueued) return;
    if (this.linesSize >= this.batchBytes) this.queueBatch();
    else this.timer ??= setTimeout(this.queueBatchBound, this.batchMs);
  }

  /** Writes everything appended so far and, unless `fsync: never`, syncs it. */
  flush(): Promise<void> {
    this.queueBatch();
    if (this.fsync !== 'never') this.enqueue(() => this.sync());
    return this.io;
  }

  stats(): JsonlWriterStats {
    return {
      appended: this.counters.appended,
      dropped: this.counters.dropped,
      pending: this.lines.length + this.inFlight + this.unsynced,
      batches: this.counters.batches,
      bytes: this.counters.bytes,
      rotations: this.counters.rotations,
      syncs: this.counters.syncs,
      errors: this.counters.errors,
      segment: this.segment,
    };
  }

  /** Writes what is pending, syncs (unless `never`), closes the segment and releases the lock. */
  async close(): Promise<void> {
    if (this.closed) return this.io;
    this.closed = true; // later appends are counted as dropped, not silently left behind
    if (this.syncTimer) clearInterval(this.syncTimer);
    this.queueBatch();
    this.enqueue(async () => {
      await this.closeSegment();
      await releaseLock(this.dir);
    });
    return this.io;
  }

  private readonly queueBatchBound = (): void => this.queueBatch();

  private queueBatch(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.batchQueued || this.lines.length === 0) return;
    this.batchQueued = true;
    this.enqueue(() => this.writeBatch());
  }

  private enqueue(op: () => Promise<void>): void {
    this.io = this.io.then(op).catch((error: unknown) => this.report(error instanceof LogError ? error : new LogError('write_failed', 'event log I/O failed', { cause: error })));
  }

  /** Takes every pending line (including those appended while this batch waited) and writes them. */
  private async writeBatch(): Promise<void> {
    this.batchQueued = false;
    const lines = this.lines;
    if (lines.length === 0) return;
    const utf16Units = this.linesSize;
    this.lines = [];
    this.linesSize = 0;
    this.inFlight = lines.length;
    const data = encodeLines(lines, utf16Units);
    try {
      await this.writeSplit(data);
      this.unsynced += lines.length;
      if (this.fsync === 'always') await this.sync();
      else if (this.fsync === 'never') this.unsynced = 0;
    } catch (error) {
      // the batch may be partly on disk (a torn line): readers skip it; count the whole batch as lost
      this.counters.dropped += lines.length;
      this.broken = true;
      this.report(new LogError('write_failed', `cannot write to ${this.segment ?? this.dir}`, { cause: error }));
    } finally {
      this.inFlight = 0;
    }
  }

  /** Writes `data`, cutting at line ends so no segment grows past segmentBytes (unless one line is larger). */
  private async writeSplit(data: Buffer): Promise<void> {
    if (this.broken || !this.file) await this.rotate();
    let offset = 0;
    while (offset < data.length) {
      const room = this.segmentBytes - this.size;
      if (data.length - offset <= room) {
        await this.writeAll(data.subarray(offset));
        return;
      }
      let cut = offset;
      for (let nl = data.indexOf(10, cut); nl !== -1 && nl + 1 - offset <= room; nl = data.indexOf(10, cut)) cut = nl + 1;
      if (cut === offset) {
        if (this.size > 0) {
          await this.rotate();
          continue;
        }
        cut = data.indexOf(10, offset) + 1; // one line longer than a segment: it gets a segment of its own
      }
      await this.writeAll(data.subarray(offset, cut));
      offset = cut;
      if (offset < data.length) await this.rotate();
    }
  }

  private async writeAll(chunk: Buffer): Promise<void> {
    const file = this.file!;
    let done = 0;
    while (done < chunk.length) {
      const { bytesWritten } = await file.write(chunk, done, chunk.length - done);
      done += bytesWritten;
    }
    this.size += chunk.length;
    this.counters.batches++;
    this.counters.bytes += chunk.length;
  }

  private async sync(): Promise<void> {
    if (!this.file || this.unsynced === 0) return;
    const synced = this.unsynced;
    try {
      await this.file.datasync();
      this.unsynced -= synced;
      this.counters.syncs++;
    } catch (error) {
      this.report(new LogError('sync_failed', `fsync of ${this.segment} failed`, { cause: error }));
    }
  }

  private async rotate(): Promise<void> {
    await this.closeSegment();
    await this.openNext();
    this.counters.rotations++;
    await this.applyRetention();
  }

  private async closeSegment(): Promise<void> {
    const file = this.file;
    if (!file) return;
    if (this.fsync !== 'never') await this.sync();
    this.unsynced = 0;
    this.file = undefined;
    await file.close().catch(() => {});
  }

  private async openNext(): Promise<void> {
    const name = segmentName(++this.seq, new Date());
    try {
      // `ax`: O_APPEND | O_CREAT | O_EXCL — never reuse a segment another writer might own
      this.file = await open(join(this.dir, name), 'ax');
    } catch (error) {
      throw new LogError('open_failed', `cannot create segment ${name} in ${this.dir}`, { cause: error });
    }
    this.segment = name;
    this.size = 0;
    this.broken = false;
    if (this.fsync !== 'never') await syncDir(this.dir); // the new name must survive a power loss too
  }

  private async applyRetention(): Promise<void> {
    const keep = this.options.config.maxSegments;
    if (keep <= 0) return;
    const segments = await listSegments(this.dir);
    for (const old of segments.slice(0, Math.max(0, segments.length - keep))) {
      if (old.name === this.segment) continue;
      try {
        await rm(old.path, { force: true });
      } catch (error) {
        this.report(new LogError('retention_failed', `cannot delete old segment ${old.name}`, { cause: error }));
      }
    }
  }

  private report(error: LogError): void {
    this.counters.errors++;
    try {
      this.options.onError?.(error);
    } catch {
      // an observer cannot break the writer
    }
  }
}

async function syncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // some file systems refuse fsync on directories; the data files are still synced
  } finally {
    await handle?.close().catch(() => {});
  }
}

/** One writer per directory: a lock file holding the pid; a lock left by a dead process is taken over. */
async function takeLock(dir: string): Promise<void> {
  const path = join(dir, LOCK_FILE);
  try {
    await writeFile(path, String(process.pid), { flag: 'wx' });
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new LogError('open_failed', `cannot create ${path}`, { cause: error });
  }
  const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
  if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
    throw new LogError('locked', `event log ${dir} is being written by process ${owner}`);
  }
  if (owner === process.pid) throw new LogError('locked', `event log ${dir} is already open in this process`);
  await writeFile(path, String(process.pid));
}

async function releaseLock(dir: string): Promise<void> {
  const path = join(dir, LOCK_FILE);
  const owner = (await readFile(path, 'utf8').catch(() => '')).trim();
  if (owner === String(process.pid)) await rm(path, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The batch's bytes: each line UTF-8 encoded straight into one buffer, newline-terminated. Sized for
 * ASCII (JSON of events nearly always is) and grown when a line needs more. Unlike
 * `Buffer.from(lines.join('\n'))` no batch-sized string is built on V8's heap (two per batch before:
 * the join and its flattening), which the young-generation collector had to allocate and sweep.
 * `Buffer#write` returns a count: no view and no result object per line (TextEncoder#encodeInto
 * needed both). `utf16Units`: the lines' lengths plus one per newline (the writer keeps that count).
 */
export function encodeLines(lines: readonly string[], utf16Units: number): Buffer {
  let data = Buffer.allocUnsafe(Math.max(1, utf16Units));
  let offset = 0;
  for (const line of lines) {
    let written = data.write(line, offset);
    // A write stops early only where the next character (≤ 4 bytes) does not fit: with 4 or more
    // bytes of room left the line is whole; with less, it may have been cut.
    if (data.length - offset - written < 4) {
      const bytes = Buffer.byteLength(line);
      if (written < bytes) {
        const grown = Buffer.allocUnsafe(Math.max(data.length * 2, offset + bytes + 1));
        data.copy(grown, 0, 0, offset);
        data = grown;
        written = data.write(line, offset);
      }
    }
    offset += written;
    if (offset === data.length) {
      const grown = Buffer.allocUnsafe(data.length * 2);
      data.copy(grown, 0, 0, offset);
      data = grown;
    }
    data[offset++] = 10;
  }
  return data.subarray(0, offset);
}
