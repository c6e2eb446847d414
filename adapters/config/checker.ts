// A small validating reader over parsed YAML: each accessor checks one value at one key path and
// records an issue (with the YAML line) instead of throwing, so one run reports every problem.
import { accessSync, constants } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { isMap, isSeq, LineCounter, type Document } from 'yaml';
import { nearest, type ConfigIssue } from './errors.js';
import { parseDuration, parseHostPort, parseSize } from './units.js';
import type { HostPort } from './model.js';

export type Path = ReadonlyArray<string | number>;
export type Obj = Record<string, unknown>;

export function pathString(path: Path): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out;
}

export class Checker {
  readonly issues: ConfigIssue[] = [];

  constructor(
    readonly baseDir: string,
    private readonly doc?: Document,
    private readonly lines?: LineCounter,
  ) {}

  issue(path: Path, message: string): void {
    const where = this.locate(path);
    this.issues.push({ path: pathString(path), message, ...where });
  }

  /** An object with only `allowed` keys; unknown keys are issues with the nearest valid key. */
  object(path: Path, value: unknown, allowed: readonly string[]): Obj | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) {
      this.issue(path, `expected a mapping (key: value), got ${describe(value)}`);
      return undefined;
    }
    const obj = value as Obj;
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) {
        const hint = nearest(key, allowed);
        this.issue([...path, key], `unknown key ${JSON.stringify(key)}${hint ? ` (did you mean ${JSON.stringify(hint)}?)` : ''}; valid keys here: ${allowed.join(', ')}`);
      }
    }
    return obj;
  }

  list(path: Path, value: unknown): unknown[] | undefined {
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) {
      this.issue(path, `expected a list, got ${describe(value)}`);
      return undefined;
    }
    return value;
  }

  string(path: Path, value: unknown, fallback: string): string;
  string(path: Path, value: unknown): string | undefined;
  string(path: Path, value: unknown, fallback?: string): string | undefined {
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'string' || value.length === 0) {
      this.issue(path, `expected a non-empty string, got ${describe(value)}`);
      return fallback;
    }
    return value;
  }

  required(path: Path, value: unknown): boolean {
    if (value === undefined || value === null) {
      this.issue(path, 'is required');
      return false;
    }
    return true;
  }

  bool(path: Path, value: unknown, fallback: boolean): boolean {
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'boolean') {
      this.issue(path, `expected true or false, got ${describe(value)}`);
      return fallback;
    }
    return value;
  }

  int(path: Path, value: unknown, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.issue(path, `expected an integer from ${min} to ${max}, got ${describe(value)}`);
      return fallback;
    }
    return value;
  }

  oneOf<T extends string>(path: Path, value: unknown, options: readonly T[], fallback: T): T {
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'string' || !options.includes(value as T)) {
      const hint = typeof value === 'string' ? nearest(value, options) : undefined;
      this.issue(path, `expected one of ${options.join(' | ')}, got ${describe(value)}${hint ? ` (did you mean ${JSON.stringify(hint)}?)` : ''}`);
      return fallback;
    }
    return value as T;
  }

  /** Milliseconds from `30s`, `5m`, `250ms`, … */
  duration(path: Path, value: unknown, fallbackMs: number): number {
    if (value === undefined || value === null) return fallbackMs;
    const ms = parseDuration(value);
    if (ms === undefined) {
      this.issue(path, `expected a duration like 250ms, 30s, 5m or 12h, got ${describe(value)}`);
      return fallbackMs;
    }
    return ms;
  }

  size(path: Path, value: unknown, fallback: number): number {
    if (value === undefined || value === null) return fallback;
    const n = parseSize(value);
    if (n === undefined) {
      this.issue(path, `expected a size like 65536, 64KiB or 16MiB, got ${describe(value)}`);
      return fallback;
    }
    return n;
  }

  hostPort(path: Path, value: unknown): HostPort | undefined {
    if (value === undefined || value === null) return undefined;
    const hp = parseHostPort(value);
    if (!hp) this.issue(path, `expected host:port (e.g. 127.0.0.1:8443), got ${describe(value)}`);
    return hp;
  }

  stringList(path: Path, value: unknown): string[] | undefined {
    const items = this.list(path, value);
    if (!items) return undefined;
    const out: string[] = [];
    items.forEach((item, i) => {
      const s = this.string([...path, i], item);
      if (s !== undefined) out.push(s);
    });
    return out;
  }

  /** A path relative to the config file, made absolute; `mustExist` checks it is readable. */
  file(path: Path, value: unknown, mustExist = true): string | undefined {
    const raw = this.string(path, value);
    if (raw === undefined) return undefined;
    const abs = isAbsolute(raw) ? raw : resolve(this.baseDir, raw);
    if (mustExist) {
      try {
        accessSync(abs, constants.R_OK);
      } catch {
        this.issue(path, `file not found or not readable: ${raw}${raw !== abs ? ` (resolved to ${abs})` : ''}`);
      }
    }
    return abs;
  }

  private locate(path: Path): { line?: number; column?: number } {
    if (!this.doc || !this.lines) return {};
    // Walk down as far as the document has nodes, so an unknown or missing key points at its parent.
    for (let depth = path.length; depth >= 0; depth--) {
      const node = this.doc.getIn(path.slice(0, depth), true) as { range?: [number, number, number] } | undefined;
      const keyNode = depth > 0 ? this.keyNode(path.slice(0, depth)) : undefined;
      const range = keyNode?.range ?? node?.range;
      if (range) {
        const pos = this.lines.linePos(range[0]);
        return { line: pos.line, column: pos.col };
      }
    }
    return {};
  }

  private keyNode(path: Path): { range?: [number, number, number] } | undefined {
    const parent = this.doc!.getIn(path.slice(0, -1), true);
    const last = path[path.length - 1];
    if (isMap(parent)) {
      const pair = parent.items.find((p) => (p.key as { value?: unknown } | null)?.value === last);
      return (pair?.key as { range?: [number, number, number] } | undefined) ?? undefined;
    }
    if (isSeq(parent) && typeof last === 'number') return parent.items[last] as { range?: [number, number, number] } | undefined;
    return undefined;
  }
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value);
  return `${typeof value} ${String(value)}`;
}
