// Events/s and CPU per event through the event path of each mode, against naive peers measured in
// the same run: memory bus + JSONL log (embedded) and NATS + JetStream (distributed).
//   node --import tsx bench/bus-throughput.ts [--events N]
// Starts its own nats-server (random loopback port, temp store) when one is installed.
import { writeSync, openSync, closeSync } from 'node:fs';
import { jetstream } from '@nats-io/jetstream';
import type { LogConfig } from '../adapters/config/model.js';
import type { AnyEvent } from '../bus/envelope.js';
import { ensureEventStream, JetStreamEventPublisher } from '../bus/log/jetstream.js';
import { openJsonlWriter } from '../bus/log/jsonl-writer.js';
import { EmbeddedEventSink } from '../bus/log/sink.js';
import { MemoryBus } from '../bus/memory/transport.js';
import { connectNatsBus } from '../bus/nats/transport.js';
import { EventRecorder, type EventSink } from '../bus/recorder.js';
import { eventSubject } from '../bus/subjects.js';
import { startNats } from '../test/support/nats.js';
import { tempDir } from '../test/support/processes.js';
import { which } from '../test/support/requirements.js';

const argIndex = process.argv.indexOf('--events');
const EVENTS = argIndex > 0 ? Number(process.argv[argIndex + 1]) : 100_000;
/** Events per burst between event-loop turns: a proxy records from many connections per turn. */
const BURST = 500;

interface Row {
  scenario: string;
  events: number;
  /** Wall time from the first append until everything is written/acknowledged. */
  seconds: number;
  /** CPU (user + system) of this process per event over the same span. */
  cpuUs: number;
  /** CPU spent inside the append calls alone (what the hot path pays). */
  appendUs: number;
}

const rows: Row[] = [];

function logConfig(overrides: Partial<LogConfig> = {}): LogConfig {
  return { dir: tempDir('tlsedge-bench-'), segmentBytes: 64 * 1024 * 1024, fsync: 'interval', fsyncIntervalMs: 1000, maxSegments: 0, stream: 'BENCH_EVENTS', maxAgeMs: 3_600_000, ...overrides };
}

/** Records EVENTS connection events (7 per connection, like the proxy) into `sink`, then waits for `settle`. */
async function run(scenario: string, sink: EventSink, settle: () => Promise<void>, events = EVENTS): Promise<void> {
  const recorder = new EventRecorder(sink, 'bench', 'connection');
  const facts = ['accepted', 'client_hello_received', 'policy_selected', 'handshake_completed', 'origin_bound', 'origin_bound', 'closed'] as const;
  let appendCpu = 0;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  let conn = 0;
  for (let done = 0; done < events; ) {
    const before = process.cpuUsage();
    const n = Math.min(BURST, events - done);
    for (let i = 0; i < n; i += facts.length) {
      const stream = recorder.stream(`c${(conn++).toString(36)}`);
      for (let f = 0; f < facts.length && i + f < n; f++) stream.emit(`tlsedge.connection.${facts[f]}`, { remote: '127.0.0.1:50123', sni: 'www.example.test', alpn: 'h2', n: i + f });
    }
    const spent = process.cpuUsage(before);
    appendCpu += spent.user + spent.system;
    done += n;
    await new Promise((r) => setImmediate(r)); // let I/O and acks run, as a serving proxy would
  }
  await settle();
  const cpu = process.cpuUsage(cpuStart);
  rows.push({ scenario, events, seconds: (performance.now() - start) / 1000, cpuUs: (cpu.user + cpu.system) / events, appendUs: appendCpu / events });
}

async function embedded(): Promise<void> {
  // peer: one synchronous write syscall per event (what "just append a line" costs)
  {
    const config = logConfig();
    const fd = openSync(`${config.dir}/naive.jsonl`, 'a');
    await run('peer: writeSync per event', { append: (e: AnyEvent) => void writeSync(fd, JSON.stringify(e) + '\n') }, async () => {}, Math.min(EVENTS, 50_000));
    closeSync(fd);
  }
  {
    const writer = await openJsonlWriter({ config: logConfig() });
    await run('JSONL writer (fsync interval)', writer, () => writer.close());
  }
  {
    const bus = new MemoryBus();
    let received = 0;
    bus.subscribe('tlsedge.evt.>', () => void received++);
    await run('memory bus publish, 1 subscriber', { append: (e: AnyEvent) => bus.publish(eventSubject(e.type, e.correlationid), e as never) }, () => bus.flush());
    await bus.close();
  }
  {
    const bus = new MemoryBus();
    bus.subscribe('tlsedge.evt.>', () => {});
    const writer = await openJsonlWriter({ config: logConfig() });
    const sink = new EmbeddedEventSink(writer, bus);
    await run('embedded sink: JSONL + memory bus', sink, () => sink.close());
    await bus.close();
  }
}

async function distributed(): Promise<void> {
  if (!which('nats-server')) {
    console.log('nats-server not installed: NATS rows skipped (sudo apt-get install -y nats-server)');
    return;
  }
  const nats = await startNats({ jetstream: true });
  const bus = await connectNatsBus({ url: nats.url, transport: 'nats', servers: [nats.url] }, { name: 'bench' });
  try {
    await ensureEventStream(bus.connection, logConfig());
    {
      // peer: nats.js js.publish() with a promise per event, 256 in flight (queued, pumped as acks return)
      const js = jetstream(bus.connection);
      const queue: AnyEvent[] = [];
      let inflight = 0;
      let idle: (() => void) | undefined;
      const pump = (): void => {
        while (inflight < 256 && queue.length > 0) {
          const e = queue.shift()!;
          inflight++;
          void js
            .publish(eventSubject(e.type, e.correlationid), JSON.stringify(e), { msgID: e.id })
            .catch(() => {})
            .finally(() => {
              inflight--;
              pump();
              if (inflight === 0 && queue.length === 0) idle?.();
            });
        }
      };
      const sink: EventSink = {
        append(e) {
          queue.push(e);
          pump();
        },
      };
      await run('peer: js.publish, 256 promises in flight', sink, () =>
        inflight === 0 && queue.length === 0 ? Promise.resolve() : new Promise<void>((resolve) => (idle = resolve)),
      Math.min(EVENTS, 50_000));
    }
    {
      const publisher = new JetStreamEventPublisher(bus, { stream: 'BENCH_EVENTS' });
      await run('JetStream publisher (256 acks in flight)', publisher, () => publisher.flush());
      const stats = publisher.stats();
      if (stats.dropped !== 0 || stats.pending !== 0) console.log('JetStream publisher left', stats);
      await publisher.close();
    }
    {
      let received = 0;
      bus.subscribe('tlsedge.evt.>', () => void received++);
      await bus.flush();
      await run('NATS core publish (NatsBus), 1 subscriber', { append: (e: AnyEvent) => bus.publish(eventSubject(e.type, e.correlationid), e as never) }, () => bus.flush());
    }
  } finally {
    await bus.close();
    await nats.stop();
  }
}

function table(): void {
  const header = ['scenario', 'events', 'events/s', 'CPU µs/event', 'append µs/event'];
  const lines = rows.map((r) => [r.scenario, String(r.events), Math.round(r.events / r.seconds).toLocaleString('en'), r.cpuUs.toFixed(2), r.appendUs.toFixed(2)]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(fmt(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const l of lines) console.log(fmt(l));
  const cpu = (name: string): number | undefined => rows.find((r) => r.scenario.startsWith(name))?.cpuUs;
  const ratio = (a: string, b: string): void => {
    const x = cpu(a);
    const y = cpu(b);
    if (x !== undefined && y !== undefined) console.log(`CPU per event, ${a} vs ${b}: ×${(x / y).toFixed(2)}`);
  };
  console.log();
  ratio('JSONL writer', 'peer: writeSync');
  ratio('JetStream publisher', 'peer: js.publish');
}

await embedded();
await distributed();
table();
