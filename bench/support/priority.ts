// Real-time priority (SCHED_FIFO) for the processes that measure latency, and for the origin their
// requests reach through the server under test. They share a core with the load generators and,
// in the TPM bench, the TPM emulator; at normal priority their own wait for that core is counted as
// the server's latency. They sleep between events (timerfd, epoll), so they never hold the core.
// Needs CAP_SYS_NICE (root); without it everything runs at normal priority and the bench says so.
import { execFileSync } from 'node:child_process';

const PRIORITY = '10';
let allowed: boolean | undefined;

/** Whether this process may give others SCHED_FIFO priority (checked once). */
export function realtimeAllowed(): boolean {
  if (allowed === undefined) {
    try {
      execFileSync('chrt', ['-f', PRIORITY, 'true'], { stdio: 'ignore' });
      allowed = true;
    } catch {
      allowed = false;
    }
  }
  return allowed;
}

/** `command` run at real-time priority when allowed (the policy survives the exec chain). */
export function realtimeCommand(command: readonly string[]): string[] {
  return realtimeAllowed() ? ['chrt', '-f', PRIORITY, ...command] : [...command];
}

/** Moves a running process to real-time priority when allowed; false when it stayed as it was. */
export function makeRealtime(pid: number): boolean {
  if (!realtimeAllowed()) return false;
  try {
    execFileSync('chrt', ['-f', '-p', PRIORITY, String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
