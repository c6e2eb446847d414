// The instance file: `tlsedge up` writes `<state dir>/instance.json` so that `events` and `replay`
// run from the same directory find its admin endpoint and event log without flags.
import { readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const DEFAULT_STATE_DIR = '.tlsedge';

export interface InstanceInfo {
  pid: number;
  nodeId: string;
  startedAt: string;
  adminUrl: string | null;
  logDir: string;
  configFile: string | null;
  listen: string[];
  busUrl: string;
}

export function instancePath(stateDir = DEFAULT_STATE_DIR): string {
  return resolve(join(stateDir, 'instance.json'));
}

export function writeInstance(stateDir: string, info: InstanceInfo): string {
  mkdirSync(stateDir, { recursive: true });
  const path = instancePath(stateDir);
  writeFileSync(path, JSON.stringify(info, null, 2) + '\n');
  return path;
}

export function removeInstance(stateDir: string, pid: number): void {
  const info = readInstance(stateDir);
  if (info?.pid === pid) rmSync(instancePath(stateDir), { force: true });
}

/** The instance recorded in `stateDir`, or undefined when none (or its process is gone). */
export function readInstance(stateDir = DEFAULT_STATE_DIR): InstanceInfo | undefined {
  let info: InstanceInfo;
  try {
    info = JSON.parse(readFileSync(instancePath(stateDir), 'utf8')) as InstanceInfo;
  } catch {
    return undefined;
  }
  return info;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
