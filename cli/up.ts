// `tlsedge up`: runs every actor in one process (embedded mode). With --demo it needs no config:
// it makes throwaway certificates, starts a small origin, and prints the commands to try.
import { resolve } from 'node:path';
import { loadConfigFile } from '../adapters/config/load.js';
import type { TlsedgeConfig } from '../adapters/config/model.js';
import { createLogger } from '../adapters/log/logger.js';
import { startEmbedded } from '../actors/system/embedded.js';
import { writeDemoConfig } from './demo/config.js';
import { startDemoOrigin, type DemoOrigin } from './demo/origin.js';
import { DEMO_NAMES, ensureDemoPki } from './demo/pki.js';
import { DEFAULT_STATE_DIR, removeInstance, writeInstance } from './instance.js';
import { stopOnSignals } from './shutdown.js';
import { helperNiceFromEnv, keepEventLoopFirst } from '../adapters/runtime/event-loop-first.js';

export interface UpOptions {
  config?: string;
  demo?: boolean;
  stateDir?: string;
  listen?: string;
  admin?: string;
}

export async function runUp(options: UpOptions): Promise<void> {
  const helperNice = helperNiceFromEnv(); // a bad value stops here, before anything listens
  const stateDir = resolve(options.stateDir ?? DEFAULT_STATE_DIR);
  const log = createLogger('tlsedge');
  const out = (line: string) => process.stdout.write(line + '\n');
  let origin: DemoOrigin | undefined;
  let config: TlsedgeConfig;
  let caFile: string | undefined;
  if (options.demo) {
    const pki = await ensureDemoPki(`${stateDir}/demo`, out);
    caFile = pki.caFile;
    origin = await startDemoOrigin();
    config = await loadConfigFile(writeDemoConfig(pki, { stateDir, listen: options.listen ?? '127.0.0.1:8443', admin: options.admin ?? '127.0.0.1:9090', originPort: origin.port }));
  } else {
    config = await loadConfigFile(options.config ?? 'tlsedge.yaml');
  }

  let system;
  try {
    system = await startEmbedded(config, { log });
  } catch (err) {
    await origin?.close();
    throw err;
  }
  const listen = system.proxy.proxy.listeners.map((l) => `${l.config.host}:${l.port}`);
  writeInstance(stateDir, {
    pid: process.pid,
    nodeId: system.runtime.nodeId,
    startedAt: new Date().toISOString(),
    adminUrl: system.admin?.url ?? null,
    logDir: config.log.dir,
    configFile: config.file ?? null,
    listen,
    busUrl: config.bus.url,
  });

  out(`tlsedge is up (embedded mode, node ${system.runtime.nodeId})`);
  out(`  listening on  ${listen.map((l) => `https://${l}`).join(', ')}`);
  if (system.admin) out(`  admin         ${system.admin.url}/healthz  /metrics  /events`);
  out(`  event log     ${config.log.dir}`);
  if (options.demo && caFile && origin) {
    const port = system.proxy.proxy.listeners[0]!.port;
    out(`  demo origin   http://127.0.0.1:${origin.port}`);
    out('');
    out('Try it (each name has its own certificate; unknown names get the localhost one):');
    for (const name of DEMO_NAMES.filter((n) => n !== 'localhost')) {
      out(`  curl --cacert ${caFile} --resolve ${name}:${port}:127.0.0.1 https://${name}:${port}/`);
    }
    out(`  openssl s_client -connect 127.0.0.1:${port} -servername a.localhost -CAfile ${caFile} </dev/null 2>/dev/null | grep -E 'subject|Verif'`);
    out('');
    out('Watch and explain (in another shell, same directory):');
    out('  npm run tlsedge -- events --follow          # live handshake events');
    out('  npm run tlsedge -- replay --last            # the last connection, step by step');
    out(`  (the config in use is ${config.file}: replay --last --config <a changed copy> tells what would differ)`);
  }
  out('Press Ctrl-C to stop.');
  // Helper threads (V8 compiles and GC helpers, libuv's pool) yield the core to the event loop.
  const loopFirst = keepEventLoopFirst(helperNice);

  stopOnSignals(log, async () => {
    loopFirst.stop();
    await system.stop();
    await origin?.close();
    removeInstance(stateDir, process.pid);
  });
}
