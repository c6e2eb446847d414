// The composition root's first half: from a config, build the transports and shared services
// every actor gets (bus, event log, identity, logging, metrics, health).
import { hostname } from 'node:os';
import type { TlsedgeConfig } from '../../adapters/config/model.js';
import { createLogger, type Logger } from '../../adapters/log/logger.js';
import { createMetricsRegistry } from '../../adapters/metrics/registry.js';
import type { Bus } from '../../bus/bus.js';
import { openEventLog, type EventLog } from '../../bus/log/sink.js';
import { MemoryBus } from '../../bus/memory/transport.js';
import { connectNatsBus } from '../../bus/nats/transport.js';
import { safeToken } from '../../bus/subjects.js';
import { HealthRegistry } from './health.js';
import type { ActorRuntime } from './runtime.js';

export interface BuiltRuntime {
  runtime: ActorRuntime;
  eventLog: EventLog;
  /** Flushes the event log and closes the bus. */
  close(): Promise<void>;
}

export interface BuildOptions {
  /** What this process runs (`embedded`, `proxy`, `signer`, …): part of the NATS connection name. */
  role: string;
  log?: Logger;
  /** An existing bus to share (tests running several actors in one process). */
  bus?: Bus;
}

/** `<host>-<pid>` unless the config names the node: unique per process, stable in its events. */
export function defaultNodeId(): string {
  return safeToken(`${hostname().split('.')[0]}-${process.pid.toString(36)}`);
}

export async function buildRuntime(config: TlsedgeConfig, options: BuildOptions): Promise<BuiltRuntime> {
  const log = options.log ?? createLogger('tlsedge');
  const nodeId = config.nodeId ?? defaultNodeId();
  const ownBus = !options.bus;
  const bus: Bus =
    options.bus ??
    (config.bus.transport === 'memory'
      ? new MemoryBus({ onHandlerError: (err, subject) => log.warn('bus handler failed', { subject, error: (err as Error).message }) })
      : await connectNatsBus(config.bus, { name: `tlsedge-${nodeId}-${options.role}`, waitOnFirstConnect: false }, {
          onHandlerError: (err, subject) => log.warn('bus handler failed', { subject, error: (err as Error).message }),
        }));
  if (bus.transport === 'nats') {
    bus.onStatus((status) => (status === 'connected' ? log.info('NATS connected') : log.warn(`NATS ${status}: serving on, events are buffered`)));
  }
  const eventLog = await openEventLog({
    log: config.log,
    bus,
    onError: (err) => log.error('event log problem', { code: err.code, error: err.message }),
  });
  const health = new HealthRegistry();
  health.register('bus', () => ({ ok: bus.status() === 'connected', facts: { transport: bus.transport, status: bus.status() } }));
  health.register('event_log', () => {
    const s = eventLog.sink.stats();
    return { ok: s.dropped === 0, facts: { appended: s.appended, pending: s.pending, dropped: s.dropped }, ...(s.dropped ? { detail: `${s.dropped} events could not be kept` } : {}) };
  });
  const runtime: ActorRuntime = { config, bus, events: eventLog.sink, nodeId, log, metrics: createMetricsRegistry(), health };
  return {
    runtime,
    eventLog,
    async close() {
      await eventLog.close();
      if (ownBus) await bus.close();
    },
  };
}
