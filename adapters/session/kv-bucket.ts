// Opens a NATS KV bucket with the TTL we need. nats-server 2.9 has only a bucket TTL (max_age), and
// `Kvm.create` on an existing bucket silently keeps the old one (checked here): bring it in line.
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { nanos, type NatsConnection } from '@nats-io/transport-node';

export async function openKvBucket(nc: NatsConnection, name: string, ttlMs: number, history = 1): Promise<KV> {
  const kv = await new Kvm(nc).create(name, { ttl: ttlMs, history });
  const status = await kv.status();
  if (status.ttl !== ttlMs) {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(`KV_${name}`);
    await jsm.streams.update(`KV_${name}`, { ...info.config, max_age: nanos(ttlMs) });
  }
  return kv;
}
