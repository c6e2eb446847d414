// `tlsedge config check FILE`.
import type { Command } from 'commander';

export function register(program: Command): void {
  const config = program.command('config').description('work with tlsedge.yaml');
  config
    .command('check')
    .argument('<file>', 'the config file')
    .description('validate a config file and load every certificate and key it names')
    .action(async (file: string) => {
      const { runConfigCheck } = await import('../config-check.js');
      await runConfigCheck(file);
    });
}
