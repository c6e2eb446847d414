// Every command group of the CLI, in the order `tlsedge --help` lists them. Registration is
// cheap; each command loads its implementation (and heavy modules) only when it runs.
import type { Command } from 'commander';
import { register as registerCerts } from './certs.js';
import { register as registerConfig } from './config.js';
import { register as registerEvents } from './events.js';
import { register as registerKeys } from './keys.js';
import { register as registerReplay } from './replay.js';
import { register as registerRun } from './run.js';
import { register as registerUp } from './up.js';

export function registerCommands(program: Command): void {
  registerUp(program);
  registerEvents(program);
  registerReplay(program);
  registerRun(program);
  registerConfig(program);
  registerKeys(program);
  registerCerts(program);
}
