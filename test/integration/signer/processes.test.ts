// Several signer processes over NATS share one queue group: requests spread across them, and a
// process that dies mid-request makes its requests fail over to another within their deadline.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifySignature } from '../../../adapters/signer/schemes.js';
import { connectNatsBus, type NatsBus } from '../../../bus/nats/transport.js';
import { SignerClient } from '../../../actors/signer/client.js';
import { missingTools } from '../../support/requirements.js';
import { startNats, type RunningNats } from '../../support/nats.js';
import { tempDir, waitForOutput, type Started } from '../../support/processes.js';
import { startCli } from '../../support/cli.js';

const data = Buffer.from('content to be signed');

describe('signer processes sharing a queue group over NATS', { skip: missingTools('nats-server') }, () => {
  let nats: RunningNats;
  let bus: NatsBus;
  const procs: Started[] = [];
  const nodes: string[] = [];
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 4096 });

  before(async () => {
    nats = await startNats({ jetstream: true });
    const dir = tempDir('tlsedge-signer-procs-');
    writeFileSync(join(dir, 'rsa.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(dir, 'fleet.key'), randomBytes(32));
    const yaml = [
      `bus: { url: "${nats.url}" }`,
      'fleet_key_file: fleet.key',
      'log: { dir: events }',
      'sni: [{ match: "*", tunnel: "127.0.0.1:9" }]',
      'signers:',
      '  - name: shared',
      '    type: software',
      '    offload: piscina',
      '    workers: 1',
      '    per_key_concurrency: 1',
      '    max_queue: 200',
      '    timeout: 10s',
      '    keys: [{ label: rsa, file: rsa.pem }]',
      '',
    ].join('\n');
    writeFileSync(join(dir, 'tlsedge.yaml'), yaml);
    for (let i = 0; i < 2; i++) {
      // Exactly what an operator runs: `tlsedge run signer --config FILE`.
      const p = startCli(['run', 'signer', '--config', join(dir, 'tlsedge.yaml')], { env: { ...process.env, TLSEDGE_LOG_LEVEL: 'info', TLSEDGE_LOG_FORMAT: 'json' } });
      procs.push(p);
      const running = /"message":"signer running","node":"([^"]+)"/;
      const out = await waitForOutput(p, (o) => running.test(o), 30_000);
      nodes.push(running.exec(out)![1]!);
    }
    bus = await connectNatsBus({ url: nats.url, transport: 'nats', servers: [nats.url] }, { name: 'signer-client' });
  });
  after(async () => {
    await bus?.close();
    await Promise.all(procs.map((p) => p.stop()));
    await nats?.stop();
  });

  it('spreads requests over both signer processes', async () => {
    const client = new SignerClient(bus);
    const results = await Promise.all(Array.from({ length: 40 }, () => client.signDetailed({ signer: 'shared', key: 'rsa', scheme: 'rsa_pss_rsae_sha256', data, deadlineMs: 20_000 })));
    for (const r of results) assert.ok(verifySignature('rsa_pss_rsae_sha256', publicKey, data, r.signature));
    assert.deepEqual([...new Set(results.map((r) => r.node))].sort(), [...nodes].sort());
  });

  it('fails requests over to the other process when one dies mid-request, within the deadline', async () => {
    const client = new SignerClient(bus, { attemptTimeoutMs: 500 });
    const [victim, survivor] = [procs[0]!, nodes[1]!];
    const victimNode = nodes[0]!;
    let firstFromVictim!: () => void;
    const victimAnswered = new Promise<void>((resolve) => (firstFromVictim = resolve));
    const started = performance.now();
    const jobs = Array.from({ length: 60 }, () =>
      client.signDetailed({ signer: 'shared', key: 'rsa', scheme: 'rsa_pss_rsae_sha256', data, deadlineMs: 15_000 }).then((r) => {
        if (r.node === victimNode) firstFromVictim();
        return r;
      }),
    );
    // The victim is busy with its share of the burst: freeze it mid-work, then kill it.
    await victimAnswered;
    victim.child.kill('SIGSTOP');
    victim.child.kill('SIGKILL');
    const results = await Promise.allSettled(jobs);
    const elapsed = performance.now() - started;
    const failed = results.filter((r) => r.status === 'rejected');
    assert.equal(failed.length, 0, `every request is answered: ${failed.map((f) => String((f as PromiseRejectedResult).reason)).join('; ')}`);
    const done = results.map((r) => (r as PromiseFulfilledResult<Awaited<(typeof jobs)[number]>>).value);
    assert.ok(done.some((r) => r.attempts > 1 && r.node === survivor), 'requests lost with the dead process were retried on the survivor');
    assert.ok(elapsed < 15_000, `no request hung until its deadline (${elapsed.toFixed(0)} ms)`);
    for (const r of done) assert.ok(verifySignature('rsa_pss_rsae_sha256', publicKey, data, r.signature));
  });
});
