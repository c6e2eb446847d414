// `tlsedge up`: every actor in one process on the in-memory bus.
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('up')
    .description('run every actor in one process (embedded mode, in-memory bus)')
    .option('-c, --config <file>', 'config file (default: ./tlsedge.yaml)')
    .option('--demo', 'no config needed: throwaway certificates for localhost, a.localhost, b.localhost and a built-in origin')
    .option('--state-dir <dir>', 'where the demo keeps its certificates, event log and instance file', '.tlsedge')
    .option('--listen <host:port>', 'demo listener address', '127.0.0.1:8443')
    .option('--admin <host:port>', 'demo admin address', '127.0.0.1:9090')
    .action(async (opts: { config?: string; demo?: boolean; stateDir: string; listen: string; admin: string }) => {
      const { runUp } = await import('../up.js');
      await runUp(opts);
    });
}
