// `tlsedge events`: stored events from the log, or live ones with --follow; one human line per
// event, or CloudEvents JSON lines with --json.
import type { EventFilter } from '../bus/log/types.js';
import { openEventSource, type SourceOptions } from './event-source.js';
import { formatEventLine } from './format.js';

export interface EventsOptions extends SourceOptions {
  follow?: boolean;
  json?: boolean;
  type?: string[];
  sni?: string;
  connection?: string;
}

export async function runEvents(options: EventsOptions): Promise<void> {
  const source = await openEventSource(options);
  const filter: EventFilter = {};
  if (options.type?.length) filter.types = options.type.map((t) => (t.startsWith('tlsedge.') ? t : `tlsedge.connection.${t}`));
  if (options.sni) filter.subject = options.sni.toLowerCase();
  if (options.connection) filter.correlationId = options.connection;
  const print = options.json ? (e: object) => process.stdout.write(JSON.stringify(e) + '\n') : (e: Parameters<typeof formatEventLine>[0]) => process.stdout.write(formatEventLine(e) + '\n');
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    if (options.follow) {
      // On stderr, so --json output stays pure JSON lines; printed once subscribed.
      const ready = () => process.stderr.write(`following ${source.describe} (Ctrl-C to stop)\n`);
      for await (const event of source.follow(filter, controller.signal, ready)) print(event);
    } else {
      for await (const event of source.read(filter)) print(event);
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await source.close();
  }
}
