// Static ticket keys (`session.tickets.key_file`, Traffic Server format): no rotator, every proxy
// loads the same file, and a ticket issued by one proxy resumes on the other.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { configFromObject } from '../../../adapters/config/load.js';
import { memoryLogger } from '../../../adapters/log/logger.js';
import { startProxyProcess, type ProxyProcess } from '../../../actors/proxy/process.js';
import { buildRuntime, type BuiltRuntime } from '../../../actors/system/build-runtime.js';
import type { AnyEvent } from '../../../bus/envelope.js';
import { MemoryBus } from '../../../bus/memory/transport.js';
import { ALL_EVENTS } from '../../../bus/subjects.js';
import { createTestCa, type TestCa } from '../../support/pki.js';
import { tempDir } from '../../support/processes.js';
import { missingTools } from '../../support/requirements.js';
import { fleetConfigObject, fleetPki, sclient, waitFor, type FleetPki } from './support.js';

describe('static ticket keys from a key file', { skip: missingTools('openssl') }, () => {
  let dir: string;
  let pki: TestCa;
  let f: FleetPki;
  const bus = new MemoryBus();
  const built: BuiltRuntime[] = [];
  const proxies: ProxyProcess[] = [];
  const events: AnyEvent[] = [];

  before(async () => {
    dir = tempDir('tlsedge-static-');
    pki = await createTestCa();
    f = await fleetPki(pki, dir);
    const keyFile = join(dir, 'ticket.keys');
    writeFileSync(keyFile, Buffer.concat([randomBytes(48), randomBytes(48)]), { mode: 0o600 });
    bus.subscribe(ALL_EVENTS, (m) => events.push(m.data as unknown as AnyEvent));
    for (const node of ['s1', 's2']) {
      const config = configFromObject(fleetConfigObject(pki, f, { node, busUrl: 'memory://', logDir: join(dir, node), stream: 'x', tickets: { key_file: keyFile } }), dir);
      const b = await buildRuntime(config, { role: node, log: memoryLogger(), bus });
      built.push(b);
      proxies.push(await startProxyProcess(b.runtime));
    }
  });

  after(async () => {
    for (const p of proxies) await p.stop();
    for (const b of built) await b.close();
    await bus.close();
  });

  for (const version of ['1.3', '1.2'] as const) {
    it(`resumes a TLS ${version} ticket from one proxy on the other with no rotator running`, async () => {
      const sess = join(dir, `s${version}.pem`);
      const port = (i: number) => proxies[i]!.proxy.listeners[0]!.port;
      assert.equal((await sclient(port(0), { servername: 'a.test', version, sessOut: sess })).reused, false);
      const before = events.length;
      const r = await sclient(port(1), { servername: 'a.test', version, sessIn: sess });
      assert.equal(r.reused, true, r.line);
      const done = await waitFor(() => events.slice(before).find((e) => e.type === 'tlsedge.connection.handshake_completed'), 'handshake_completed');
      assert.equal((done.data as { issuedBy?: string }).issuedBy, 's1');
    });
  }
});
