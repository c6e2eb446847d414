// JSONL segment files of the embedded event log: `events-<seq>-<opened-at>.jsonl`. The zero-padded
// sequence comes first so names sort in write order even if the wall clock steps back.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface SegmentFile {
  name: string;
  path: string;
  /** Monotonic across the directory's lifetime: 1, 2, 3 … */
  seq: number;
  /** When the writer opened it; every event in the previous segment is older than this. */
  openedAt: Date;
}

const NAME = /^events-(\d{10})-(\d{8}T\d{9}Z)\.jsonl$/;

/** `2025-01-02T03:04:05.678Z` → `20250102T030405678Z` (file-name safe, sorts like the time). */
function compactTime(date: Date): string {
  return date.toISOString().replace(/[-:.]/g, '');
}

function parseCompactTime(text: string): Date {
  const iso = `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}T${text.slice(9, 11)}:${text.slice(11, 13)}:${text.slice(13, 15)}.${text.slice(15, 18)}Z`;
  return new Date(iso);
}

export function segmentName(seq: number, openedAt: Date): string {
  return `events-${String(seq).padStart(10, '0')}-${compactTime(openedAt)}.jsonl`;
}

export function parseSegmentName(name: string): { seq: number; openedAt: Date } | undefined {
  const m = NAME.exec(name);
  if (!m) return undefined;
  const openedAt = parseCompactTime(m[2]!);
  if (Number.isNaN(openedAt.getTime())) return undefined;
  return { seq: Number(m[1]), openedAt };
}

/** Segment files in `dir`, oldest first; other files are ignored; a missing dir has none. */
export async function listSegments(dir: string): Promise<SegmentFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const out: SegmentFile[] = [];
  for (const name of names) {
    const parsed = parseSegmentName(name);
    if (parsed) out.push({ name, path: join(dir, name), ...parsed });
  }
  return out.sort((a, b) => a.seq - b.seq);
}
