// The `tlsedge` command. Each command group lives in cli/commands/<name>.ts and registers itself;
// this file only assembles them and turns errors into one clear line and a non-zero exit.
import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands/index.js';
import { CliError } from './errors.js';

const program = new Command('tlsedge')
  .description('A programmable TLS edge proxy built as an event-sourced actor system')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode;
  } else if (err instanceof CliError) {
    process.stderr.write(`tlsedge: ${err.message}\n`);
    process.exitCode = err.exitCode;
  } else if ((err as Error)?.name === 'ConfigError') {
    // The message already names the file, line and key path of every problem.
    process.stderr.write(`tlsedge: ${(err as Error).message}\n`);
    process.exitCode = 2;
  } else {
    const e = err as Error & { code?: string };
    process.stderr.write(`tlsedge: ${e.message ?? String(err)}${e.code ? ` [${e.code}]` : ''}\n`);
    process.exitCode = 1;
  }
}
