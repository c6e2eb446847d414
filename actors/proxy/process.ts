// A proxy process's actors and components, assembled from a runtime: policy selection, origin
// pools, the HTTP application layer and the listening proxy. Used by `up` (embedded) and
// `run proxy` (NATS) alike.
import { OriginPools } from '../../adapters/origin/pool.js';
import { fileFingerprints } from '../connection/fingerprint.js';
import { PolicySelector } from '../connection/policy.js';
import type { ActorRuntime } from '../system/runtime.js';
import { startProxy, type ProxyOptions, type RunningProxy } from './actor.js';
import { HttpApplication } from './http-app.js';
import { ProxyMetrics } from './metrics.js';

export interface ProxyProcess {
  proxy: RunningProxy;
  pools: OriginPools;
  policies: PolicySelector;
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
  const app = new HttpApplication(config, pools, policies, metrics);
  const proxy = await startProxy(runtime, { app, policies, metrics, ...(options.configureNative ? { configureNative: options.configureNative } : {}) });
  return {
    proxy,
    pools,
    policies,
    async stop() {
      await proxy.stop();
      pools.close();
    },
  };
}
