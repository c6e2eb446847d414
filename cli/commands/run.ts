// `tlsedge run <actor>`: one actor kind as its own process (distributed mode).
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('run')
    .description('run one actor kind as its own process: proxy, session-store, key-rotation, signer')
    .argument('<actor>', 'the actor kind')
    .requiredOption('-c, --config <file>', 'config file (bus.url: nats://… to join other processes)')
    .option('--admin <host:port>', 'serve /healthz, /metrics and /events here (proxy default: admin.address)')
    .action(async (actor: string, opts: { config: string; admin?: string }) => {
      const { runActor } = await import('../run.js');
      await runActor(actor, opts);
    });
}
