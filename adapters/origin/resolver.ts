// Origin host name → address, cached for a short TTL so the per-request path does a Map lookup,
// never a DNS query. Stale entries keep serving while one refresh runs in the background.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { OriginError } from './errors.js';

interface Entry {
  address: string;
  expires: number;
}

export class Resolver {
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(
    private readonly ttlMs = 30_000,
    private readonly maxEntries = 4096,
  ) {}

  /** The cached address of `host`, or undefined when a lookup is needed first. IP literals resolve to themselves. */
  cached(host: string): string | undefined {
    if (isIP(host) !== 0) return host;
    const entry = this.entries.get(host);
    if (!entry) return undefined;
    if (entry.expires < Date.now()) void this.lookup(host).catch(() => undefined);
    return entry.address;
  }

  async resolve(host: string): Promise<string> {
    return this.cached(host) ?? this.lookup(host);
  }

  private lookup(host: string): Promise<string> {
    let pending = this.inflight.get(host);
    if (pending) return pending;
    pending = lookup(host).then(
      (r) => {
        this.inflight.delete(host);
        if (this.entries.size >= this.maxEntries && !this.entries.has(host)) this.entries.clear();
        this.entries.set(host, { address: r.address, expires: Date.now() + this.ttlMs });
        return r.address;
      },
      (err: unknown) => {
        this.inflight.delete(host);
        throw new OriginError('dns_failed', `cannot resolve origin host ${host}`, { cause: err, detail: codeOf(err) });
      },
    );
    this.inflight.set(host, pending);
    return pending;
  }
}

function codeOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}
