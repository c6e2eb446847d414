// Drives command-line TLS clients (openssl s_client, gnutls-cli) in interop tests: send lines,
// wait for output, close stdin, collect everything they printed.
import { start, type Started } from '../../../support/processes.js';

export type Step = { send: string } | { waitFor: string | RegExp } | { pause: number };

export interface ClientRun {
  output: string;
  exitCode: number | null;
}

/** Runs `command args`, plays `steps` against its stdin/stdout, then closes stdin and waits for exit. */
export async function runClient(command: string, args: string[], steps: Step[] = [], timeoutMs = 10_000): Promise<ClientRun> {
  const proc: Started = start(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  // Patterns are matched on stdout and stderr separately: clients print session dumps on one and
  // received data on the other, and the two interleave arbitrarily when merged.
  let stdout = '';
  let stderr = '';
  proc.child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + timeoutMs;
  try {
    for (const step of steps) {
      if ('send' in step) proc.child.stdin!.write(step.send);
      else if ('pause' in step) await new Promise((r) => setTimeout(r, step.pause));
      else {
        const test = (o: string) => (typeof step.waitFor === 'string' ? o.includes(step.waitFor) : step.waitFor.test(o));
        while (!test(stdout) && !test(stderr)) {
          if (proc.child.exitCode !== null) throw new Error(`${command} exited before ${String(step.waitFor)}:\n${proc.output()}`);
          if (Date.now() > deadline) throw new Error(`${command}: timed out waiting for ${String(step.waitFor)}:\n${proc.output()}`);
          await new Promise((r) => setTimeout(r, 10));
        }
      }
    }
    proc.child.stdin!.end();
    await new Promise<void>((resolve) => {
      if (proc.child.exitCode !== null) return resolve();
      const timer = setTimeout(() => {
        proc.child.kill('SIGKILL');
      }, Math.max(100, deadline - Date.now()));
      proc.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    return { output: proc.output(), exitCode: proc.child.exitCode };
  } catch (err) {
    await proc.stop(100);
    throw err;
  }
}
