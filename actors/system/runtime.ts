// What every actor gets from the composition root: config, bus, event sink, identity, logging,
// metrics and health. Actors receive it; they never build transports themselves, so the same
// actor code runs embedded (memory bus) and distributed (NATS).
import type { Bus } from '../../bus/bus.js';
import type { EventSink } from '../../bus/recorder.js';
import type { TlsedgeConfig } from '../../adapters/config/model.js';
import type { Logger } from '../../adapters/log/logger.js';
import type { Registry } from '../../adapters/metrics/registry.js';
import type { HealthRegistry } from './health.js';

export interface ActorRuntime {
  readonly config: TlsedgeConfig;
  readonly bus: Bus;
  /** Where recorded events go (log + live subscribers); wrap it in an EventRecorder per actor kind. */
  readonly events: EventSink;
  /** Short subject-safe id of this process. */
  readonly nodeId: string;
  readonly log: Logger;
  readonly metrics: Registry;
  readonly health: HealthRegistry;
}

/** A started actor (or group of actors) that can be stopped cleanly. */
export interface RunningActor {
  readonly name: string;
  stop(): Promise<void>;
}
