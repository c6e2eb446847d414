// Preload for tlsedge (`node -r bench/tools/survivors.cjs …`): on SIGUSR2, samples for
// TLSEDGE_SURVIVORS_MS (default 3000) the allocations that outlive a young-generation collection —
// V8's sampling heap profiler keeping objects a full collection freed but not those a scavenge
// freed — and writes survivors-<pid>.heapprofile into TLSEDGE_SURVIVORS_DIR (open it in Chrome
// DevTools, Memory tab). Those objects are what each scavenge copies, so they set its pause.
// TLSEDGE_SURVIVORS_ALL=1 samples every allocation instead (what makes scavenges frequent).
'use strict';
const { Session } = require('node:inspector');
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

const dir = process.env.TLSEDGE_SURVIVORS_DIR;
if (dir) {
  process.on('SIGUSR2', () => {
    const session = new Session();
    session.connect();
    const post = (method, params) => new Promise((resolve, reject) => session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result))));
    const sample = async () => {
      await post('HeapProfiler.enable');
      await post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: process.env.TLSEDGE_SURVIVORS_ALL === '1' });
      await new Promise((resolve) => setTimeout(resolve, Number(process.env.TLSEDGE_SURVIVORS_MS ?? 3000)));
      const { profile } = await post('HeapProfiler.stopSampling');
      const file = join(dir, `survivors-${process.pid}.heapprofile`);
      writeFileSync(file, JSON.stringify(profile));
      process.stderr.write(`survivors profile written to ${file}\n`);
      session.disconnect();
    };
    sample().catch((err) => process.stderr.write(`survivors profile failed: ${err.message}\n`));
  });
}
