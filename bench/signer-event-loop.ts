// The event loop of a signer process while 200 TPM signatures are in flight: tlsedge's signer
// (every PKCS#11 call in a piscina worker) against the same signatures done synchronously on the
// main thread (one per loop turn, as a server would) and with pkcs11js's own async calls.
//   node --import tsx bench/signer-event-loop.ts [--count N]
// Needs swtpm, tpm2-abrmd, tpm2-pkcs11 (scripts/dev-tpm.sh makes the throwaway token).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createHash } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { applySignerEnv } from '../adapters/signer/env.js';
import { createSigner } from '../adapters/signer/signer.js';
import { missingTpm, startTpm } from '../test/support/tpm.js';

const countArg = process.argv.indexOf('--count');
const COUNT = countArg > 0 ? Number(process.argv[countArg + 1]) : 200;
const skip = missingTpm();
if (skip) {
  console.log(`skipped: ${skip}`);
  process.exit(0);
}
const data = Buffer.from(' '.repeat(64) + 'TLS 1.3, server CertificateVerify\0' + 'h'.repeat(32));
const digest = createHash('sha256').update(data).digest();

interface Row {
  how: string;
  seconds: number;
  p50: number;
  p99: number;
  max: number;
}
const rows: Row[] = [];

async function observe(how: string, work: () => Promise<void>): Promise<void> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  // Something else the process does meanwhile: a 1 ms timer (think: other connections' I/O).
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  h.enable();
  const t0 = performance.now();
  await work();
  const seconds = (performance.now() - t0) / 1000;
  h.disable();
  clearInterval(timer);
  rows.push({ how, seconds, p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6 });
  process.stderr.write(`  ${how}: ${seconds.toFixed(2)} s, ${ticks} timer ticks\n`);
}

const tpm = await startTpm({ keys: 'ec256:ecc256' });
try {
  applySignerEnv([{ name: 'tpm', env: tpm.env }]);
  process.env.TLSEDGE_BENCH_PIN = tpm.pin;
  const signer = await createSigner({ name: 'tpm', type: 'pkcs11', module: tpm.module, token: tpm.token, pinEnv: 'TLSEDGE_BENCH_PIN', workers: 2, maxQueue: 1024, perKeyConcurrency: 1, timeoutMs: 120_000, keys: [] });
  await signer.start({ waitReady: true });
  for (let i = 0; i < 5; i++) await signer.sign({ key: 'ec256', scheme: 'ecdsa_secp256r1_sha256', data });

  await observe(`tlsedge signer (piscina), ${COUNT} in flight`, async () => {
    await Promise.all(Array.from({ length: COUNT }, () => signer.sign({ key: 'ec256', scheme: 'ecdsa_secp256r1_sha256', data })));
  });

  // The same module on the main thread (login state is shared with the workers' sessions).
  const lib = new pkcs11js.PKCS11();
  lib.load(tpm.module);
  try {
    lib.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  } catch {
    // initialised by the workers
  }
  const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trimEnd() === tpm.token)!;
  const sessions = Array.from({ length: 4 }, () => lib.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION));
  lib.C_FindObjectsInit(sessions[0]!, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }, { type: pkcs11js.CKA_LABEL, value: 'ec256' }]);
  const [key] = lib.C_FindObjects(sessions[0]!, 1);
  lib.C_FindObjectsFinal(sessions[0]!);

  await observe(`synchronous C_Sign on the main thread, one per loop turn`, async () => {
    for (let i = 0; i < COUNT; i++) {
      lib.C_SignInit(sessions[0]!, { mechanism: pkcs11js.CKM_ECDSA }, key!);
      lib.C_Sign(sessions[0]!, digest, Buffer.alloc(256));
      await new Promise((r) => setImmediate(r));
    }
  });

  await observe(`pkcs11js C_SignAsync (libuv pool), 4 sessions, ${COUNT} in flight`, async () => {
    let next = 0;
    await Promise.all(
      sessions.map(async (s) => {
        while (next++ < COUNT) {
          lib.C_SignInit(s, { mechanism: pkcs11js.CKM_ECDSA }, key!);
          await lib.C_SignAsync(s, digest, Buffer.alloc(256));
        }
      }),
    );
  });
  for (const s of sessions) lib.C_CloseSession(s);
  await signer.close();
} finally {
  await tpm.stop();
}

console.log(`event-loop delay while ${COUNT} ECDSA P-256 signatures run on a TPM (swtpm + abrmd + tpm2-pkcs11)`);
console.log('| how the signatures run | total s | sig/s | loop delay p50 ms | p99 ms | max ms |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.how} | ${r.seconds.toFixed(2)} | ${(COUNT / r.seconds).toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.max.toFixed(2)} |`);
process.exit(0);
