// Signatures/s, p50/p99 latency and the event-loop delay it costs, for every way tlsedge can sign,
// measured in one run: software ECDSA P-256 and RSA-2048 (on the loop, libuv pool, piscina pool),
// SoftHSM2 (tlsedge's piscina backend vs pkcs11js's own async calls vs sync calls on the loop) and
// a TPM under emulation (swtpm + abrmd + tpm2-pkcs11).
//   node --import tsx bench/signer-throughput.ts [--quick] [--only software|softhsm|tpm]
// SoftHSM2 and swtpm rows are skipped (with the reason) when the tools are not installed.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pkcs11js from 'pkcs11js';
import { applySignerEnv } from '../adapters/signer/env.js';
import { createSigner, type SignerSettings } from '../adapters/signer/signer.js';
import { ecdsaRawToDer, type SchemeName } from '../adapters/signer/schemes.js';
import { generateDevKey } from '../adapters/x509/dev-pki.js';
import { tempDir } from '../test/support/processes.js';
import { missingSoftHsm, startSoftHsm } from '../test/support/softhsm.js';
import { missingTpm, startTpm } from '../test/support/tpm.js';

const quick = process.argv.includes('--quick');
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? process.argv[onlyArg + 1] : undefined;
const data = Buffer.from(' '.repeat(64) + 'TLS 1.3, server CertificateVerify\0' + 'h'.repeat(32));

interface Row {
  scenario: string;
  where: string;
  n: number;
  perSecond: number;
  p50: number;
  p99: number;
  loopP99: number;
  loopMax: number;
}
const rows: Row[] = [];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Closed loop: `concurrency` requests outstanding until `n` are done. */
async function measure(scenario: string, where: string, n: number, concurrency: number, sign: () => Promise<unknown> | unknown): Promise<void> {
  for (let i = 0; i < Math.min(20, n); i++) await sign(); // warm-up (sessions, worker start)
  const loop = monitorEventLoopDelay({ resolution: 1 });
  const latencies: number[] = [];
  let next = 0;
  loop.enable();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        next++;
        const t0 = performance.now();
        await sign();
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  loop.disable();
  latencies.sort((a, b) => a - b);
  rows.push({ scenario, where, n, perSecond: n / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), loopP99: loop.percentile(99) / 1e6, loopMax: loop.max / 1e6 });
  process.stderr.write(`  ${scenario} / ${where}: ${(n / seconds).toFixed(0)}/s\n`);
}

function softwareSettings(offload: 'inline' | 'libuv' | 'piscina', files: Record<string, string>): SignerSettings {
  return { name: `soft-${offload}`, type: 'software', offload, workers: 4, maxQueue: 1024, perKeyConcurrency: 64, timeoutMs: 60_000, keys: Object.entries(files).map(([label, file]) => ({ label, file })) };
}

async function software(): Promise<void> {
  const dir = tempDir('tlsedge-bench-signer-');
  const files = { ec: join(dir, 'ec.pem'), rsa: join(dir, 'rsa.pem') };
  writeFileSync(files.ec, generateDevKey('ec-p256').keyPem);
  writeFileSync(files.rsa, generateDevKey('rsa2048').keyPem);
  for (const [label, scheme, n] of [['ec', 'ecdsa_secp256r1_sha256', quick ? 2000 : 10_000], ['rsa', 'rsa_pss_rsae_sha256', quick ? 500 : 2000]] as const) {
    for (const offload of ['inline', 'libuv', 'piscina'] as const) {
      const signer = await createSigner(softwareSettings(offload, files));
      await signer.start({ waitReady: true });
      await measure(label === 'ec' ? 'software ECDSA P-256' : 'software RSA-2048 PSS', offload === 'inline' ? 'inline (on the loop)' : offload === 'libuv' ? 'node:crypto async (libuv)' : 'piscina ×4', n, 16, () => signer.sign({ key: label, scheme, data }));
      await signer.close();
    }
  }
}

/** pkcs11js straight on the main thread: sessions opened here, signing sync or with C_SignAsync (libuv). */
function rawPkcs11(module: string, token: string, pin: string, sessions: number) {
  const lib = new pkcs11js.PKCS11();
  lib.load(module);
  try {
    lib.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  } catch {
    // already initialised by the workers of this process
  }
  const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trimEnd() === token)!;
  const handles = Array.from({ length: sessions }, () => lib.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION));
  try {
    lib.C_Login(handles[0]!, pkcs11js.CKU_USER, pin);
  } catch {
    // already logged in
  }
  const key = (label: string) => {
    lib.C_FindObjectsInit(handles[0]!, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }, { type: pkcs11js.CKA_LABEL, value: label }]);
    const [h] = lib.C_FindObjects(handles[0]!, 1);
    lib.C_FindObjectsFinal(handles[0]!);
    return h!;
  };
  const free = [...handles];
  const waiting: Array<(s: Buffer) => void> = [];
  const take = () => (free.length ? Promise.resolve(free.pop()!) : new Promise<Buffer>((r) => waiting.push(r)));
  const give = (s: Buffer) => (waiting.length ? waiting.shift()!(s) : free.push(s));
  const input = (scheme: SchemeName) => {
    const hash = createHash(scheme.endsWith('384') ? 'sha384' : 'sha256').update(data).digest();
    const mechanism = scheme.startsWith('ecdsa')
      ? { mechanism: pkcs11js.CKM_ECDSA }
      : { mechanism: pkcs11js.CKM_RSA_PKCS_PSS, parameter: { type: pkcs11js.CK_PARAMS_RSA_PSS, hashAlg: pkcs11js.CKM_SHA256, mgf: pkcs11js.CKG_MGF1_SHA256, saltLen: 32 } as pkcs11js.RsaPSS };
    return { hash, mechanism };
  };
  return {
    sync(label: string, scheme: SchemeName) {
      const h = key(label);
      const { hash, mechanism } = input(scheme);
      return () => {
        lib.C_SignInit(handles[0]!, mechanism, h);
        const out = lib.C_Sign(handles[0]!, hash, Buffer.alloc(512));
        return scheme.startsWith('ecdsa') ? ecdsaRawToDer(out) : out;
      };
    },
    async(label: string, scheme: SchemeName) {
      const h = key(label);
      const { hash, mechanism } = input(scheme);
      return async () => {
        const s = await take();
        try {
          lib.C_SignInit(s, mechanism, h);
          const out = await lib.C_SignAsync(s, hash, Buffer.alloc(512));
          return scheme.startsWith('ecdsa') ? ecdsaRawToDer(out) : out;
        } finally {
          give(s);
        }
      };
    },
    close() {
      for (const s of handles) lib.C_CloseSession(s);
    },
  };
}

async function token(kind: 'SoftHSM2' | 'swtpm'): Promise<void> {
  const skip = kind === 'SoftHSM2' ? missingSoftHsm() : missingTpm();
  if (skip) {
    process.stderr.write(`  ${kind}: skipped (${skip})\n`);
    return;
  }
  const t = kind === 'SoftHSM2' ? await startSoftHsm({ keys: 'ec256:EC:prime256v1 rsa2048:rsa:2048' }) : await startTpm({ keys: 'ec256:ecc256 rsa2048:rsa2048' });
  try {
    applySignerEnv([{ name: kind, env: t.env }]);
    process.env.TLSEDGE_BENCH_PIN = t.pin;
    const tpm = kind === 'swtpm';
    const signer = await createSigner({
      name: kind,
      type: 'pkcs11',
      module: t.module,
      token: t.token,
      pinEnv: 'TLSEDGE_BENCH_PIN',
      workers: tpm ? 2 : 4,
      maxQueue: 1024,
      perKeyConcurrency: tpm ? 1 : 4,
      timeoutMs: 120_000,
      keys: [],
    });
    await signer.start({ waitReady: true });
    const raw = rawPkcs11(t.module, t.token, t.pin, 4);
    for (const [label, scheme, name] of [['ec256', 'ecdsa_secp256r1_sha256', 'ECDSA P-256'], ['rsa2048', 'rsa_pss_rsae_sha256', 'RSA-2048 PSS']] as const) {
      const n = tpm ? (quick ? 50 : 200) : name.startsWith('ECDSA') ? (quick ? 2000 : 8000) : quick ? 300 : 1500;
      const scenario = `${kind} ${name}`;
      await measure(scenario, tpm ? 'tlsedge: piscina ×2, 1 per key' : 'tlsedge: piscina ×4', n, 16, () => signer.sign({ key: label, scheme, data }));
      await measure(scenario, 'pkcs11js C_SignAsync ×4 sessions', n, 16, raw.async(label, scheme));
      await measure(scenario, 'pkcs11js sync C_Sign (on the loop)', n, 16, raw.sync(label, scheme));
    }
    raw.close();
    await signer.close();
  } finally {
    await t.stop();
  }
}

process.stderr.write('signer throughput (closed loop, 16 outstanding requests)\n');
if (!only || only === 'software') await software();
if (!only || only === 'softhsm') await token('SoftHSM2');
if (!only || only === 'tpm') await token('swtpm');

const header = ['scenario', 'where the signature runs', 'n', 'sig/s', 'p50 ms', 'p99 ms', 'loop p99 ms', 'loop max ms'];
// A signature on the loop never lets the delay monitor's timer run: the loop is blocked the whole time.
const onLoop = (r: Row) => r.where.includes('on the loop');
const table = rows.map((r) => [r.scenario, r.where, String(r.n), r.perSecond.toFixed(0), r.p50.toFixed(2), r.p99.toFixed(2), onLoop(r) ? 'blocked' : r.loopP99.toFixed(1), onLoop(r) ? 'blocked' : r.loopMax.toFixed(1)]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
console.log(line(header));
console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
for (const row of table) console.log(line(row));
// Ratios against the first row of each scenario (the loop-blocking baseline for software).
console.log('\nratios (sig/s) within each scenario, against its first row:');
for (const scenario of [...new Set(rows.map((r) => r.scenario))]) {
  const group = rows.filter((r) => r.scenario === scenario);
  console.log(`  ${scenario}: ` + group.map((r) => `${r.where} ×${(r.perSecond / group[0]!.perSecond).toFixed(2)}`).join(', '));
}
process.exit(0);
