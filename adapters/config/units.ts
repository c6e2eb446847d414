// Parsers for the config's value syntaxes: durations (`30s`, `5m`, `12h`, `250ms`), sizes
// (`64MiB`, `16k`), and `host:port` addresses. Each returns undefined on bad input so the caller
// can report the key path.
import type { HostPort } from './model.js';

const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value * 1000; // bare number = seconds
  if (typeof value !== 'string') return undefined;
  const parts = value.trim().match(/^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/);
  if (!parts) return undefined;
  return Math.round(Number(parts[1]) * durationUnits[parts[2]!]!);
}

const sizeUnits: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1000, kib: 1024, m: 1024 ** 2, mb: 1000 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1000 ** 3, gib: 1024 ** 3 };

export function parseSize(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (typeof value !== 'string') return undefined;
  const parts = value.trim().toLowerCase().match(/^(\d+(?:\.\d+)?)\s*([a-z]*)$/);
  if (!parts || !(parts[2]! in sizeUnits)) return undefined;
  return Math.round(Number(parts[1]) * sizeUnits[parts[2]!]!);
}

/** `host:port`, `[v6]:port`; the host may be a name. */
export function parseHostPort(value: unknown): HostPort | undefined {
  if (typeof value !== 'string') return undefined;
  const m = value.trim().match(/^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 0 || port > 65535) return undefined;
  return { host: (m[1] ?? m[2])!, port };
}

export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
