// `tlsedge run signer --config FILE`: the signer actor as its own process. The lead's `run`
// command builds the runtime (NATS bus, event log, admin endpoint) and calls runSigner.
import type { ActorRuntime } from '../system/runtime.js';
import { startSignerActor, type RunningSignerActor } from './actor.js';

export async function runSigner(runtime: ActorRuntime): Promise<RunningSignerActor> {
  if (runtime.config.signers.length === 0) {
    runtime.log.warn('no signers configured: this process will answer nothing (add a `signers:` section)');
  }
  return startSignerActor(runtime);
}
