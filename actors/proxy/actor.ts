// The proxy actor: owns the listening sockets, the native engine, the policy selector and the
// per-connection actors of one process. Built by the composition root from an ActorRuntime.
import type { Socket } from 'node:net';
import { EventRecorder } from '../../bus/recorder.js';
import { proxyConfigProblem } from '../../adapters/config/load.js';
import { NativeEngine } from '../../adapters/tls/native/engine.js';
import { ConnectionActor } from '../connection/actor.js';
import type { PolicySelector } from '../connection/policy.js';
import type { ApplicationLayer, ConnectionServices } from '../connection/ports.js';
import type { ProxyResumption } from '../resumption/actor.js';
import type { ActorRuntime, RunningActor } from '../system/runtime.js';
import { connectionIdFactory } from './ids.js';
import { listen, type BoundListener } from './listener.js';
import type { ProxyMetrics } from './metrics.js';
import { tcpTunnelDialer } from './tunnel.js';
import { OffloadEngine } from './offload-engine.js';
import { configUsesOffload } from './offload-policy.js';

export interface ProxyOptions {
  /** What runs on established connections (HTTP/1.1 and h2 proxying to origins). */
  app: ApplicationLayer;
  policies: PolicySelector;
  metrics: ProxyMetrics;
  /** Hook for components that configure each native tls.Server (resumption). */
  configureNative?: ConstructorParameters<typeof NativeEngine>[0]['configureServer'];
  /** Fleet-wide resumption: ticket-key variants per policy and session-ID lookups. */
  resumption?: Pick<ProxyResumption, 'route' | 'settle' | 'forget' | 'serverOptions' | 'configureServer' | 'bindEngine'> & Partial<Pick<ProxyResumption, 'offload'>>;
}

export interface RunningProxy extends RunningActor {
  readonly listeners: BoundListener[];
  readonly native: NativeEngine;
  /** The offload engine, when a rule or certificate needs it (docs/offload.md). */
  readonly offload: OffloadEngine | undefined;
  readonly metrics: ProxyMetrics;
  activeConnections(): number;
}

export async function startProxy(runtime: ActorRuntime, options: ProxyOptions): Promise<RunningProxy> {
  const { config, log } = runtime;
  const problem = proxyConfigProblem(config);
  if (problem) throw new Error(problem);
  const { resumption } = options;
  const configureServer = resumption
    ? (...args: Parameters<ProxyResumption['configureServer']>) => {
        resumption.configureServer(...args);
        options.configureNative?.(...args);
      }
    : options.configureNative;
  const native = new NativeEngine({
    handshakeTimeoutMs: config.limits.handshakeTimeoutMs,
    ...(configureServer ? { configureServer } : {}),
    ...(resumption ? { serverOptions: (policy, variant) => resumption.serverOptions(policy, variant) } : {}),
  });
  resumption?.bindEngine(native);
  // Load every file key now: a bad key is a startup error naming its config path, not a failed handshake later.
  for (const cert of config.certificates) if (cert.key.kind === 'file') native.keys.get(cert);
  // Same for offload names (signer-held keys, engine: offload): their certificates, keys and rules.
  const offload = configUsesOffload(config) ? new OffloadEngine({ config, bus: runtime.bus, resumption: resumption?.offload }) : undefined;
  offload?.prepare();

  const { metrics } = options;
  const services: ConnectionServices = {
    recorder: new EventRecorder(runtime.events, runtime.nodeId, 'connection'),
    policies: options.policies,
    native,
    app: options.app,
    tunnels: tcpTunnelDialer(5_000),
    limits: config.limits,
    metrics,
    nodeId: runtime.nodeId,
    ...(resumption ? { resumption } : {}),
    ...(offload ? { offload } : {}),
  };
  const nextId = connectionIdFactory();
  const live = new Set<ConnectionActor>();

  const onSocket = (socket: Socket): void => {
    const actor = new ConnectionActor(socket, nextId(), services);
    live.add(actor);
    socket.once('close', () => live.delete(actor));
    actor.start();
  };

  const listeners: BoundListener[] = [];
  try {
    for (const l of config.listen) listeners.push(await listen(l, config.limits.maxConnections, onSocket));
  } catch (err) {
    for (const l of listeners) l.server.close();
    throw err;
  }
  for (const l of listeners) log.info('listening', { address: `${l.config.host}:${l.port}` });
  runtime.health.register('proxy', () => ({ ok: true, facts: { listeners: listeners.length, connections: live.size } }));

  return {
    name: 'proxy',
    listeners,
    native,
    offload,
    metrics,
    activeConnections: () => live.size,
    async stop(graceMs = 2_000) {
      await Promise.all(listeners.map((l) => new Promise<void>((resolve) => l.server.close(() => resolve()))).concat([
        (async () => {
          const deadline = Date.now() + graceMs;
          while (live.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
          for (const actor of live) actor.shutdown();
        })(),
      ]));
      native.close();
    },
  } as RunningProxy;
}
