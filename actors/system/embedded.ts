// The embedded system (`tlsedge up`): every actor in one process on the in-memory bus, the event
// log in local files, and the admin endpoint. The same actors run as separate processes over NATS.
import type { TlsedgeConfig } from '../../adapters/config/model.js';
import { startAdminServer, type AdminServer } from '../../adapters/admin/server.js';
import type { Logger } from '../../adapters/log/logger.js';
import { startProxyProcess, type ProxyProcess } from '../proxy/process.js';
import { startKeyRotationActor } from '../key-rotation/actor.js';
import { startSessionStoreActor } from '../session-store/actor.js';
import { buildRuntime, type BuiltRuntime } from './build-runtime.js';
import type { ActorRuntime, RunningActor } from './runtime.js';

export interface EmbeddedSystem {
  runtime: ActorRuntime;
  built: BuiltRuntime;
  proxy: ProxyProcess;
  admin: AdminServer | undefined;
  stop(): Promise<void>;
}

export async function startEmbedded(config: TlsedgeConfig, options: { log?: Logger } = {}): Promise<EmbeddedSystem> {
  const built = await buildRuntime(config, { role: 'embedded', ...(options.log ? { log: options.log } : {}) });
  const { runtime } = built;
  let proxy: ProxyProcess | undefined;
  let admin: AdminServer | undefined;
  // Resumption actors run in-process on the memory bus: the same code as `run session-store|key-rotation`.
  const helpers: RunningActor[] = [];
  try {
    // Signers first: the offload engine asks them for signatures from its first handshake.
    if (config.signers.length > 0) {
      const { startSignerActor } = await import('../signer/actor.js');
      helpers.push(await startSignerActor(runtime));
    }
    if (config.session.cache.enabled) helpers.push(await startSessionStoreActor(runtime));
    if (config.session.tickets.enabled || config.certificates.some((c) => c.tickets?.enabled)) helpers.push(await startKeyRotationActor(runtime));
    proxy = await startProxyProcess(runtime);
    if (config.admin.address) {
      const p = proxy;
      admin = await startAdminServer(config.admin.address, {
        bus: runtime.bus,
        metrics: runtime.metrics,
        health: () => runtime.health.report(),
        info: () => ({ node: runtime.nodeId, pid: process.pid, mode: 'embedded', listen: p.proxy.listeners.map((l) => `${l.config.host}:${l.port}`) }),
      });
    }
  } catch (err) {
    await proxy?.stop();
    for (const h of helpers.reverse()) await h.stop();
    await built.close();
    throw err;
  }
  const running = proxy;
  return {
    runtime,
    built,
    proxy: running,
    admin,
    async stop() {
      await admin?.close();
      await running.stop();
      for (const h of helpers.reverse()) await h.stop();
      await built.close();
    },
  };
}
