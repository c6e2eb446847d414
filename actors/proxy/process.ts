// A proxy process's actors and components, assembled from a runtime: policy selection, origin
// pools, the HTTP application layer and the listening proxy. Used by `up` (embedded) and
// `run proxy` (NATS) alike.
import { H2OriginPools } from '../../adapters/origin/h2-pool.js';
import { OriginPools } from '../../adapters/origin/pool.js';
import { fileFingerprints } from '../connection/fingerprint.js';
import { PolicySelector } from '../connection/policy.js';
import { startProxyResumption, type ProxyResumption } from '../resumption/actor.js';
import type { ActorRuntime } from '../system/runtime.js';
import { startProxy, type ProxyOptions, type RunningProxy } from './actor.js';
import { HttpApplication } from './http-app.js';
import { ProxyMetrics } from './metrics.js';

export interface ProxyProcess {
  proxy: RunningProxy;
  pools: OriginPools;
  policies: PolicySelector;
  /** Ticket keys and session-ID resumption (undefined when both are off). */
  resumption: ProxyResumption | undefined;
  stop(): Promise<void>;
}

export interface ProxyProcessOptions {
  configureNative?: ProxyOptions['configureNative'];
}

export async function startProxyProcess(runtime: ActorRuntime, options: ProxyProcessOptions = {}): Promise<ProxyProcess> {
  const { config, log } = runtime;
  const pools = new OriginPools({
    idPrefix: `${runtime.nodeId}-o`,
    hooks: {
      onVerifyFailure: (i) => log.warn('origin certificate not verified (verify: permissive)', { origin: `${i.address}:${i.port}`, sni: i.sni, code: i.code }),
    },
  });
  pools.prepare(config.origins);
  const policies = new PolicySelector(config, fileFingerprints());
  const metrics = new ProxyMetrics(runtime.metrics);
  const h2Pools = new H2OriginPools({ targets: pools.targets, sessions: pools.sessions, idPrefix: `${runtime.nodeId}-h` });
  const app = new HttpApplication(config, pools, policies, metrics, h2Pools);
  const { tickets, cache } = config.session;
  const wantsResumption = tickets.enabled || cache.enabled || config.certificates.some((c) => c.tickets?.enabled);
  const resumption = wantsResumption ? await startProxyResumption(runtime) : undefined;
  let proxy: RunningProxy;
  try {
    proxy = await startProxy(runtime, { app, policies, metrics, ...(options.configureNative ? { configureNative: options.configureNative } : {}), ...(resumption ? { resumption } : {}) });
  } catch (err) {
    await resumption?.stop();
    throw err;
  }
  return {
    proxy,
    pools,
    policies,
    resumption,
    async stop() {
      await proxy.stop();
      await resumption?.stop();
      pools.close();
      app.close();
    },
  };
}
