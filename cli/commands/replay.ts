// `tlsedge replay`: explain one recorded connection, and re-decide it under a config.
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('replay')
    .description("show one connection's timeline and statechart, and whether a config would still decide the same")
    .option('--connection <id>', 'the connection id (from `tlsedge events`)')
    .option('--last', 'the most recent connection that closed')
    .option('--actor <kind>', "rebuild an actor's state from the log instead: key-rotation")
    .option('-c, --config <file>', 're-decide under this config (default: the running instance’s)')
    .option('--json', 'machine-readable output')
    .option('--log <dir>', 'read this event log directory')
    .option('--bus <url>', 'read from NATS (nats://host:port)')
    .option('--state-dir <dir>', 'find the instance `tlsedge up` started here', '.tlsedge')
    .action(async (opts) => {
      const { runReplay } = await import('../replay.js');
      await runReplay(opts);
    });
}
