// `tlsedge keys status|rotate|export|import`: the fleet's session-ticket keys, through the
// key-rotation leader on the bus. Material crosses the bus only sealed under the fleet key.
import type { Command } from 'commander';

export function registerTicketKeyCommands(keys: Command): void {
  keys
    .command('status')
    .description('the ticket-key block: keys, epochs, states, and which proxy holds which epoch')
    .requiredOption('-c, --config <file>', 'config file (bus.url and fleet_key_file)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { config: string; json?: boolean }) => {
      const { keysStatus } = await import('../keys-tickets.js');
      await keysStatus(opts);
    });
  keys
    .command('rotate')
    .description('stage a new ticket key now; it encrypts once every live proxy holds it')
    .requiredOption('-c, --config <file>', 'config file')
    .option('--wait', 'wait until the new key is active')
    .action(async (opts: { config: string; wait?: boolean }) => {
      const { keysRotate } = await import('../keys-tickets.js');
      await keysRotate(opts);
    });
  keys
    .command('export')
    .description('write the live ticket keys as a Traffic Server key file (48-byte keys, encrypting key first)')
    .argument('<file>', 'where to write (created with mode 0600)')
    .requiredOption('-c, --config <file>', 'config file')
    .action(async (file: string, opts: { config: string }) => {
      const { keysExport } = await import('../keys-tickets.js');
      await keysExport(file, opts);
    });
  keys
    .command('import')
    .description('load a Traffic Server key file: its first key becomes the encrypting key once every proxy holds it')
    .argument('<file>', 'the key file')
    .requiredOption('-c, --config <file>', 'config file')
    .action(async (file: string, opts: { config: string }) => {
      const { keysImport } = await import('../keys-tickets.js');
      await keysImport(file, opts);
    });
}
