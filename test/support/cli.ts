// Runs the tlsedge CLI from source (through tsx), as a user would run `bin/tlsedge`.
import { spawn, type SpawnOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { start, type Started } from './processes.js';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const cliEntry = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));

export function cliArgs(args: string[]): [string, string[]] {
  return [process.execPath, ['--import', 'tsx', cliEntry, ...args]];
}

/** Starts a long-running CLI command (killed when the test process exits). */
export function startCli(args: string[], options: SpawnOptions = {}): Started {
  const [cmd, full] = cliArgs(args);
  return start(cmd, full, { cwd: repoRoot, ...options });
}

/** Runs a CLI command to completion. */
export function runCli(args: string[], options: SpawnOptions & { timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [cmd, full] = cliArgs(args);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, full, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
