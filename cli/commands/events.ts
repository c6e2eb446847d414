// `tlsedge events`: stored or live events, human-readable or as CloudEvents JSON lines.
import type { Command } from 'commander';

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function register(program: Command): void {
  program
    .command('events')
    .description('print events: stored ones from the log, or live ones with --follow')
    .option('-f, --follow', 'keep printing new events as they happen')
    .option('--json', 'CloudEvents JSON, one per line')
    .option('--type <type>', 'only this event type (repeatable; `handshake_failed` or `tlsedge.session.*`)', collect)
    .option('--sni <name>', 'only events about this server name')
    .option('--connection <id>', 'only this connection')
    .option('--log <dir>', 'read this event log directory')
    .option('--bus <url>', 'read from NATS (nats://host:port)')
    .option('--admin <url>', 'follow this admin endpoint (http://host:port)')
    .option('-c, --config <file>', 'use the bus and log of this config')
    .option('--state-dir <dir>', 'find the instance `tlsedge up` started here', '.tlsedge')
    .action(async (opts) => {
      const { runEvents } = await import('../events.js');
      await runEvents(opts);
    });
}
