// `tlsedge keys …`: the key command group. Signer keys (generate, list) register here; ticket-key
// commands (status, rotate, export, import) join the same group.
import type { Command } from 'commander';
import { registerSignerKeyCommands } from './keys-signer.js';
import { registerTicketKeyCommands } from './keys-tickets.js';

export function register(program: Command): Command {
  const keys = program.command('keys').description('private keys in signers (TPM, HSM, files) and session-ticket keys');
  registerSignerKeyCommands(keys);
  registerTicketKeyCommands(keys);
  return keys;
}
