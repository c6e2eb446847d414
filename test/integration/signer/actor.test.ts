// The signer actor over the bus, on both transports (in-memory and a real nats-server): sign and
// keys.list through SignerClient, events and metrics, and every failure reaching the requester
// as a SignerError with its code.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configFromObject } from '../../../adapters/config/load.js';
import { memoryLogger } from '../../../adapters/log/logger.js';
import { createMetricsRegistry } from '../../../adapters/metrics/registry.js';
import { SignerError } from '../../../adapters/signer/errors.js';
import { verifySignature, type SchemeName } from '../../../adapters/signer/schemes.js';
import { generateDevKey } from '../../../adapters/x509/dev-pki.js';
import type { Bus } from '../../../bus/bus.js';
import type { AnyEvent } from '../../../bus/envelope.js';
import { MemoryBus } from '../../../bus/memory/transport.js';
import { connectNatsBus } from '../../../bus/nats/transport.js';
import { HealthRegistry } from '../../../actors/system/health.js';
import type { ActorRuntime } from '../../../actors/system/runtime.js';
import { startSignerActor, type RunningSignerActor } from '../../../actors/signer/actor.js';
import { SignerClient } from '../../../actors/signer/client.js';
import { missingTools } from '../../support/requirements.js';
import { startNats, type RunningNats } from '../../support/nats.js';
import { tempDir } from '../../support/processes.js';

const code = (c: string) => (e: unknown) => e instanceof SignerError && e.code === c;
const data = Buffer.from(' '.repeat(64) + 'TLS 1.3, server CertificateVerify\0' + 't'.repeat(32));

const dir = tempDir('tlsedge-signer-actor-');
const keyFiles: Record<string, string> = {};
for (const [label, type] of [['ec256', 'ec-p256'], ['rsa', 'rsa2048'], ['ed', 'ed25519']] as const) {
  keyFiles[label] = join(dir, `${label}.pem`);
  writeFileSync(keyFiles[label], generateDevKey(type).keyPem);
}

function config(extra: Record<string, unknown> = {}) {
  return configFromObject(
    {
      signers: [
        { name: 'soft', type: 'software', workers: 2, keys: Object.entries(keyFiles).map(([label, file]) => ({ label, file })) },
        // One worker, one at a time, one waiting: for queue and cancellation behaviour.
        { name: 'narrow', type: 'software', offload: 'piscina', workers: 1, per_key_concurrency: 1, max_queue: 1, keys: [{ label: 'rsa', file: keyFiles.rsa }] },
      ],
      // The config checker wants something to serve; a signer process serves no TLS itself.
      sni: [{ match: '*', tunnel: '127.0.0.1:9' }],
      ...extra,
    },
    dir,
  );
}

interface Harness {
  bus: Bus;
  events: AnyEvent[];
  runtime: ActorRuntime;
  actor: RunningSignerActor;
  client: SignerClient;
}

async function harness(bus: Bus): Promise<Harness> {
  const events: AnyEvent[] = [];
  const runtime: ActorRuntime = {
    config: config(),
    bus,
    events: { append: (e) => events.push(e) },
    nodeId: 'test-node',
    log: memoryLogger(),
    metrics: createMetricsRegistry(false),
    health: new HealthRegistry(),
  };
  const actor = await startSignerActor(runtime);
  return { bus, events, runtime, actor, client: new SignerClient(bus, { maxAttempts: 1 }) };
}

function transports(): Array<{ name: string; skip: string | false; open: () => Promise<Bus>; close?: () => Promise<void> }> {
  let nats: RunningNats | undefined;
  return [
    { name: 'memory', skip: false, open: async () => new MemoryBus() },
    {
      name: 'nats',
      skip: missingTools('nats-server'),
      open: async () => {
        nats ??= await startNats();
        return connectNatsBus({ url: nats.url, transport: 'nats', servers: [nats.url] }, { name: 'signer-actor-test' });
      },
      close: async () => nats?.stop(),
    },
  ];
}

for (const transport of transports()) {
  describe(`signer actor on the ${transport.name} bus`, { skip: transport.skip }, () => {
    let h: Harness;
    before(async () => {
      h = await harness(await transport.open());
    });
    after(async () => {
      await h?.actor.stop();
      await h?.bus.close();
      await transport.close?.();
    });
    afterEach(() => {
      h.events.length = 0;
    });

    it('signs through SignerClient with every scheme of its keys, verified by node:crypto', async () => {
      const keys = await h.client.keys('soft');
      assert.deepEqual(keys.map((k) => k.label).sort(), ['ec256', 'ed', 'rsa']);
      for (const key of keys) {
        for (const scheme of key.schemes) {
          const signature = await h.client.sign({ signer: 'soft', key: key.label, scheme, data, deadlineMs: 5000 });
          assert.ok(verifySignature(scheme as SchemeName, key.spki!, data, signature), `${key.label} ${scheme}`);
        }
      }
    });

    it('records tlsedge.signer.signed with key id, scheme and latency, and never key material', async () => {
      const [ec] = (await h.client.keys('soft')).filter((k) => k.label === 'ec256');
      await h.client.sign({ signer: 'soft', key: 'ec256', scheme: 'ecdsa_secp256r1_sha256', data, deadlineMs: 5000 });
      const signed = h.events.filter((e) => e.type === 'tlsedge.signer.signed');
      assert.equal(signed.length, 1);
      const d = signed[0]!.data as Record<string, unknown>;
      assert.equal(d.keyId, ec!.id);
      assert.equal(d.key, 'ec256');
      assert.equal(d.scheme, 'ecdsa_secp256r1_sha256');
      assert.equal(typeof d.latencyMs, 'number');
      assert.equal(signed[0]!.correlationid, 'signer-soft');
      const text = JSON.stringify(h.events);
      assert.ok(!text.includes('PRIVATE KEY') && !text.includes(data.toString('base64')), 'no key material or signed content in events');
      const metrics = await h.runtime.metrics.metrics();
      assert.match(metrics, /tlsedge_signer_sign_seconds_count\{signer="soft",key="ec256",scheme="ecdsa_secp256r1_sha256"\} [1-9]/);
      // Depth as the request started: it was running (or about to), nothing waited behind it.
      assert.match(metrics, /tlsedge_signer_in_flight\{signer="soft"\} [01]\n/);
      assert.match(metrics, /tlsedge_signer_queue_depth\{signer="soft"\} 0\n/);
    });

    it('reports health per signer with its state and key count', () => {
      const report = h.runtime.health.report();
      assert.equal(report.checks['signer:soft']?.ok, true);
      assert.equal(report.checks['signer:soft']?.facts?.keys, 3);
      assert.equal(report.checks['signer:soft']?.facts?.state, 'ready');
    });

    it('turns failures into SignerErrors with their codes and records tlsedge.signer.failed', async () => {
      await assert.rejects(h.client.sign({ signer: 'soft', key: 'missing', scheme: 'ecdsa_secp256r1_sha256', data, deadlineMs: 5000 }), code('key_not_found'));
      await assert.rejects(h.client.sign({ signer: 'soft', key: 'ec256', scheme: 'rsa_pss_rsae_sha256', data, deadlineMs: 5000 }), code('unsupported_scheme'));
      await assert.rejects(h.client.sign({ signer: 'soft', key: 'ec256', scheme: 'no_such_scheme', data, deadlineMs: 5000 }), code('unsupported_scheme'));
      const reasons = h.events.filter((e) => e.type === 'tlsedge.signer.failed').map((e) => (e.data as { reason: string }).reason);
      assert.deepEqual(reasons, ['key_not_found', 'unsupported_scheme', 'unsupported_scheme']);
      const metrics = await h.runtime.metrics.metrics();
      assert.match(metrics, /tlsedge_signer_failures_total\{signer="soft",reason="key_not_found"\} 1/);
    });

    it('answers signer_unavailable at once for a signer no process serves', async () => {
      await assert.rejects(h.client.sign({ signer: 'nobody', key: 'k', scheme: 'ed25519', data, deadlineMs: 5000 }), code('signer_unavailable'));
    });

    it('refuses beyond the signer queue with queue_full', async () => {
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => h.client.sign({ signer: 'narrow', key: 'rsa', scheme: 'rsa_pss_rsae_sha256', data, deadlineMs: 10_000 })));
      const codes = results.map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as SignerError).code));
      assert.ok(codes.filter((c) => c === 'ok').length >= 2, `one running and one queued succeed: ${codes}`);
      assert.ok(codes.includes('queue_full'), `the rest is refused: ${codes}`);
      assert.deepEqual([...new Set(codes)].sort(), ['ok', 'queue_full']);
    });

    it('cancels on the signer when the requester goes away', async () => {
      const first = h.client.sign({ signer: 'narrow', key: 'rsa', scheme: 'rsa_pss_rsae_sha256', data, deadlineMs: 10_000 });
      const controller = new AbortController();
      const second = h.client.sign({ signer: 'narrow', key: 'rsa', scheme: 'rsa_pss_rsae_sha256', data, deadlineMs: 10_000, signal: controller.signal });
      controller.abort();
      await assert.rejects(second, code('cancelled'));
      await first;
      // The signer learns of it through `cancel` and drops the request (or its result).
      for (let i = 0; i < 200 && !h.events.some((e) => e.type === 'tlsedge.signer.failed'); i++) await new Promise((r) => setTimeout(r, 10));
      const failed = h.events.filter((e) => e.type === 'tlsedge.signer.failed').map((e) => (e.data as { reason: string }).reason);
      assert.ok(failed.length === 0 || failed.every((r) => r === 'cancelled'), `failed events: ${failed}`);
    });

    it('gives up with timeout when the deadline is shorter than the work', async () => {
      const busy = Array.from({ length: 2 }, () => h.client.sign({ signer: 'narrow', key: 'rsa', scheme: 'rsa_pss_rsae_sha256', data, deadlineMs: 10_000 }).catch(() => undefined));
      await assert.rejects(h.client.sign({ signer: 'narrow', key: 'rsa', scheme: 'rsa_pss_rsae_sha256', data, deadlineMs: 1 }), (e: unknown) => code('timeout')(e) || code('queue_full')(e));
      await Promise.all(busy);
    });
  });
}
