// `tlsedge run <actor> --config FILE`: one actor kind as its own process, joined to the others by
// the bus (normally NATS, `bus.url: nats://…`). Stops cleanly on SIGINT/SIGTERM.
import { loadConfigFile } from '../adapters/config/load.js';
import { startAdminServer, type AdminServer } from '../adapters/admin/server.js';
import { createLogger } from '../adapters/log/logger.js';
import { actorKinds } from '../actors/system/actor-kinds.js';
import { buildRuntime } from '../actors/system/build-runtime.js';
import { CliError } from './errors.js';
import { stopOnSignals } from './shutdown.js';
import { helperNiceFromEnv, keepEventLoopFirst } from '../adapters/runtime/event-loop-first.js';

export async function runActor(kind: string, options: { config: string; admin?: string }): Promise<void> {
  const actorKind = actorKinds[kind];
  if (!actorKind) throw new CliError(`unknown actor "${kind}": one of ${Object.keys(actorKinds).join(', ')}`);
  const helperNice = helperNiceFromEnv(); // a bad value stops here, before anything listens
  const config = await loadConfigFile(options.config);
  const log = createLogger(`tlsedge/${kind}`);
  if (config.bus.transport === 'memory') log.warn('bus.url is memory://: this process will not see any other tlsedge process (use nats:// for distributed mode, or `tlsedge up` for embedded)');
  const built = await buildRuntime(config, { role: kind, log });
  let actor;
  let admin: AdminServer | undefined;
  try {
    actor = await actorKind.start(built.runtime);
    const adminAddress = options.admin ? parseAddress(options.admin) : kind === 'proxy' ? config.admin.address : null;
    if (adminAddress) {
      admin = await startAdminServer(adminAddress, {
        bus: built.runtime.bus,
        metrics: built.runtime.metrics,
        health: () => built.runtime.health.report(),
        info: () => ({ node: built.runtime.nodeId, pid: process.pid, mode: `run ${kind}` }),
      });
      log.info('admin endpoint', { url: admin.url });
    }
  } catch (err) {
    await actor?.stop();
    await built.close();
    throw err;
  }
  log.info(`${kind} running`, { node: built.runtime.nodeId, bus: config.bus.url });
  const running = actor;
  // Helper threads (V8 compiles and GC helpers, libuv's pool) yield the core to the event loop.
  const loopFirst = keepEventLoopFirst(helperNice);
  stopOnSignals(log, async () => {
    loopFirst.stop();
    await admin?.close();
    await running.stop();
    await built.close();
  });
}

function parseAddress(value: string): { host: string; port: number } {
  const m = value.match(/^(.+):(\d+)$/);
  if (!m) throw new CliError(`--admin: expected host:port, got ${value}`);
  return { host: m[1]!, port: Number(m[2]) };
}
