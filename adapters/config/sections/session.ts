// The `session` section: ticket keys (rotation, keep, ATS-format key file) and the session cache.
import type { Checker } from '../checker.js';
import type { SessionConfig } from '../model.js';

export function checkSession(c: Checker, value: unknown): SessionConfig {
  const o = c.object(['session'], value, ['tickets', 'cache']) ?? {};
  const t = c.object(['session', 'tickets'], o.tickets, ['enabled', 'rotate_every', 'keep', 'key_file', 'stage_timeout', 'lifetime', 'lease_bucket', 'lease_ttl']) ?? {};
  const k = c.object(['session', 'cache'], o.cache, ['enabled', 'ttl', 'size', 'lookup_timeout', 'bucket', 'local_size']) ?? {};
  const keyFile = t.key_file === null ? undefined : c.file(['session', 'tickets', 'key_file'], t.key_file);
  const rotateEveryMs = c.duration(['session', 'tickets', 'rotate_every'], t.rotate_every, 12 * 3_600_000);
  if (rotateEveryMs < 1000) c.issue(['session', 'tickets', 'rotate_every'], 'must be at least 1s');
  return {
    tickets: {
      enabled: c.bool(['session', 'tickets', 'enabled'], t.enabled, true),
      rotateEveryMs,
      keep: c.int(['session', 'tickets', 'keep'], t.keep, 2, 0, 16),
      keyFile,
      stageTimeoutMs: c.duration(['session', 'tickets', 'stage_timeout'], t.stage_timeout, 10_000),
      lifetimeMs: c.duration(['session', 'tickets', 'lifetime'], t.lifetime, 2 * 3_600_000),
      leaseBucket: c.string(['session', 'tickets', 'lease_bucket'], t.lease_bucket, 'tlsedge_leases'),
      leaseTtlMs: c.duration(['session', 'tickets', 'lease_ttl'], t.lease_ttl, 10_000),
    },
    cache: {
      enabled: c.bool(['session', 'cache', 'enabled'], k.enabled, true),
      ttlMs: c.duration(['session', 'cache', 'ttl'], k.ttl, 5 * 60_000),
      size: c.int(['session', 'cache', 'size'], k.size, 100_000, 1),
      lookupTimeoutMs: c.duration(['session', 'cache', 'lookup_timeout'], k.lookup_timeout, 10),
      bucket: c.string(['session', 'cache', 'bucket'], k.bucket, 'tlsedge_sessions'),
      localSize: c.int(['session', 'cache', 'local_size'], k.local_size, 10_000, 0),
    },
  };
}
