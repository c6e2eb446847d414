// Where `events` and `replay` read from: an explicit --log DIR, --bus nats://… or --admin URL, or
// else the instance that `tlsedge up` recorded in the state dir (its admin SSE stream and log).
import { existsSync } from 'node:fs';
import { get } from 'node:http';
import { resolve } from 'node:path';
import { loadConfigFile } from '../adapters/config/load.js';
import type { BusConfig } from '../adapters/config/model.js';
import type { AnyEvent } from '../bus/envelope.js';
import { JsonlEventReader } from '../bus/log/jsonl-reader.js';
import { JetStreamEventReader } from '../bus/log/jetstream-reader.js';
import type { EventFilter, EventLogReader } from '../bus/log/types.js';
import { connectNatsBus, type NatsBus } from '../bus/nats/transport.js';
import { ALL_EVENTS } from '../bus/subjects.js';
import { compileFilter } from '../bus/log/filter.js';
import { CliError } from './errors.js';
import { DEFAULT_STATE_DIR, isAlive, readInstance } from './instance.js';

export interface SourceOptions {
  log?: string;
  bus?: string;
  admin?: string;
  config?: string;
  stateDir?: string;
}

export interface EventSource {
  /** Human description, e.g. `log .tlsedge/events` or `NATS nats://…`. */
  describe: string;
  /** Stored events, oldest first. */
  read(filter: EventFilter): AsyncIterable<AnyEvent>;
  /** Live events until `signal` aborts; `onReady` runs once the subscription is in place. */
  follow(filter: EventFilter, signal: AbortSignal, onReady?: () => void): AsyncIterable<AnyEvent>;
  close(): Promise<void>;
}

export async function openEventSource(options: SourceOptions): Promise<EventSource> {
  const config = options.config ? await loadConfigFile(options.config) : undefined;
  const busUrl = options.bus ?? (config?.bus.transport === 'nats' ? config.bus.url : undefined);
  if (busUrl) return natsSource(config?.bus.url === busUrl ? config.bus : busConfigFor(busUrl), config?.log.stream ?? 'TLSEDGE_EVENTS');
  if (options.log || options.admin) return fileAndSseSource(options.log ? resolve(options.log) : undefined, options.admin);
  if (config) return fileAndSseSource(config.log.dir, config.admin.address ? `http://${config.admin.address.host}:${config.admin.address.port}` : undefined);

  const stateDir = options.stateDir ?? DEFAULT_STATE_DIR;
  const instance = readInstance(stateDir);
  if (instance) {
    if (instance.busUrl.startsWith('nats')) return natsSource(busConfigFor(instance.busUrl), 'TLSEDGE_EVENTS');
    return fileAndSseSource(instance.logDir, isAlive(instance.pid) ? instance.adminUrl ?? undefined : undefined);
  }
  const defaultLog = resolve(stateDir, 'events');
  if (existsSync(defaultLog)) return fileAndSseSource(defaultLog, undefined);
  throw new CliError(`no tlsedge instance found in ${resolve(stateDir)}: start one here with \`npm start\` (or \`tlsedge up\`), or pass --log DIR, --bus nats://HOST:PORT or --config FILE`);
}

function busConfigFor(url: string): BusConfig {
  return { url, transport: 'nats', servers: url.split(',').map((s) => s.trim()) };
}

async function natsSource(busConfig: BusConfig, stream: string): Promise<EventSource> {
  let bus: NatsBus;
  try {
    bus = await connectNatsBus(busConfig, { name: 'tlsedge-cli' });
  } catch (err) {
    throw new CliError(`${(err as Error).message} — is nats-server running there?`);
  }
  const reader = new JetStreamEventReader(bus.connection, stream);
  return {
    describe: `NATS ${busConfig.url} (stream ${stream})`,
    read: (filter) => reader.read(filter),
    follow: (filter, signal, onReady) => liveFromBus(bus, filter, signal, onReady),
    async close() {
      await reader.close();
      await bus.close();
    },
  };
}

async function* liveFromBus(bus: NatsBus, filter: EventFilter, signal: AbortSignal, onReady?: () => void): AsyncGenerator<AnyEvent> {
  const matches = compileFilter(filter);
  const queue: AnyEvent[] = [];
  let wake: (() => void) | undefined;
  const sub = bus.subscribe(ALL_EVENTS, (msg) => {
    const event = msg.data as unknown as AnyEvent;
    if (!matches(event)) return;
    queue.push(event);
    wake?.();
  });
  signal.addEventListener('abort', () => wake?.(), { once: true });
  await bus.flush();
  onReady?.();
  try {
    while (!signal.aborted) {
      while (queue.length) yield queue.shift()!;
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
    }
  } finally {
    sub.unsubscribe();
  }
}

function fileAndSseSource(logDir: string | undefined, adminUrl: string | undefined): EventSource {
  const reader: EventLogReader | undefined = logDir ? new JsonlEventReader(logDir) : undefined;
  return {
    describe: [logDir ? `log ${logDir}` : '', adminUrl ? `live from ${adminUrl}/events` : ''].filter(Boolean).join(', '),
    read: (filter) => {
      if (!reader) throw new CliError('no event log to read: pass --log DIR');
      return reader.read(filter);
    },
    follow: (filter, signal, onReady) => {
      if (adminUrl) return sseEvents(adminUrl, filter, signal, onReady);
      if (reader) {
        onReady?.();
        return reader.follow(filter, signal);
      }
      throw new CliError('nothing to follow: pass --admin URL or --log DIR');
    },
    async close() {
      await reader?.close();
    },
  };
}

/** Reads the admin endpoint's Server-Sent Events stream. */
async function* sseEvents(adminUrl: string, filter: EventFilter, signal: AbortSignal, onReady?: () => void): AsyncGenerator<AnyEvent> {
  const matches = compileFilter(filter);
  const queue: AnyEvent[] = [];
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  let ended = false;
  const req = get(`${adminUrl}/events`, (res) => {
    if (res.statusCode !== 200) {
      failure = new CliError(`${adminUrl}/events answered ${res.statusCode}`);
      wake?.();
      return;
    }
    res.setEncoding('utf8');
    // The endpoint subscribes before it answers 200: from here on no event is missed.
    onReady?.();
    let buffer = '';
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
        if (!data) continue;
        const event = JSON.parse(data) as AnyEvent;
        if (matches(event)) queue.push(event);
      }
      wake?.();
    });
    res.on('end', () => {
      ended = true;
      wake?.();
    });
  });
  req.on('error', (err) => {
    failure = new CliError(`cannot reach ${adminUrl}/events: ${err.message} — is tlsedge running? (start it with \`npm start\`)`);
    wake?.();
  });
  signal.addEventListener('abort', () => {
    req.destroy();
    wake?.();
  }, { once: true });
  while (!signal.aborted) {
    while (queue.length) yield queue.shift()!;
    if (failure) throw failure;
    if (ended) return;
    await new Promise<void>((r) => (wake = r));
    wake = undefined;
  }
}
