// NATS mode event log: the JetStream stream over `tlsedge.evt.>` (created or brought in line with
// LogConfig), plus the durable publisher and the reader that use it.
import { jetstreamManager, StorageType, type StreamConfig, type StreamInfo } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import type { LogConfig } from '../../adapters/config/model.js';
import { ALL_EVENTS } from '../subjects.js';
import { LogError } from './errors.js';

export { JetStreamEventPublisher, type JetStreamPublisherOptions, type JetStreamPublisherStats } from './jetstream-publisher.js';
export { JetStreamEventReader, filterSubjectFor } from './jetstream-reader.js';

export interface EventStreamOptions {
  /** How long a re-sent event is recognised as a duplicate by its id (JetStream default 2 min). */
  duplicateWindowMs?: number;
}

/**
 * Creates the event stream (`config.stream`, subjects `tlsedge.evt.>`, file storage, max age
 * `config.maxAgeMs`) or updates an existing one whose subjects or max age differ.
 */
export async function ensureEventStream(
  nc: NatsConnection,
  config: Pick<LogConfig, 'stream' | 'maxAgeMs'>,
  options: EventStreamOptions = {},
): Promise<StreamInfo> {
  const wanted: Partial<StreamConfig> & { name: string } = {
    name: config.stream,
    subjects: [ALL_EVENTS],
    storage: StorageType.File,
    max_age: nanos(config.maxAgeMs),
    duplicate_window: nanos(options.duplicateWindowMs ?? 120_000),
  };
  try {
    const jsm = await jetstreamManager(nc);
    let existing: StreamInfo | undefined;
    try {
      existing = await jsm.streams.info(config.stream);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    if (!existing) return await jsm.streams.add(wanted);
    const same =
      existing.config.max_age === wanted.max_age &&
      existing.config.duplicate_window === wanted.duplicate_window &&
      existing.config.subjects?.length === 1 &&
      existing.config.subjects[0] === ALL_EVENTS;
    if (same) return existing;
    return await jsm.streams.update(config.stream, {
      subjects: wanted.subjects!,
      max_age: wanted.max_age!,
      duplicate_window: wanted.duplicate_window!,
    });
  } catch (error) {
    throw new LogError('stream_failed', `cannot set up JetStream stream ${config.stream}: ${(error as Error).message}`, { cause: error });
  }
}

function isNotFound(error: unknown): boolean {
  const e = error as { code?: unknown; name?: string; apiError?: () => { err_code?: number } } | undefined;
  if (e?.name === 'StreamNotFoundError') return true;
  try {
    return e?.apiError?.().err_code === 10059;
  } catch {
    return false;
  }
}
