// The actor kinds `tlsedge run <kind>` can start as their own process, each from a runtime.
// Add a kind here when its actor exists; embedded mode (embedded.ts) starts them all in one process.
import type { ActorRuntime, RunningActor } from './runtime.js';

export interface ActorKind {
  /** One line for `tlsedge run --help`. */
  description: string;
  /** Loaded lazily so `run signer` never loads the proxy (and vice versa). */
  start(runtime: ActorRuntime): Promise<RunningActor>;
}

export const actorKinds: Record<string, ActorKind> = {
  proxy: {
    description: 'terminate TLS and proxy to origins (listeners from `listen`)',
    async start(runtime) {
      const { startProxyProcess } = await import('../proxy/process.js');
      const p = await startProxyProcess(runtime);
      return { name: 'proxy', stop: () => p.stop() };
    },
  },
  signer: {
    description: 'hold private keys (software, PKCS#11: HSM or TPM) and answer sign requests',
    async start(runtime) {
      const { runSigner } = await import('../signer/run.js');
      return runSigner(runtime);
    },
  },
  'session-store': {
    description: 'keep TLS sessions for session-ID resumption across the fleet (NATS KV bucket `session.cache.bucket`)',
    async start(runtime) {
      const { startSessionStoreActor } = await import('../session-store/actor.js');
      return startSessionStoreActor(runtime);
    },
  },
  'key-rotation': {
    description: 'own and rotate the fleet ticket-key block (one leader per fleet, lease in NATS KV)',
    async start(runtime) {
      const { startKeyRotationActor, defaultLease } = await import('../key-rotation/actor.js');
      return startKeyRotationActor(runtime, { lease: await defaultLease(runtime) });
    },
  },
};
