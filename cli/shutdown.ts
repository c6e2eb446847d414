// Clean shutdown for long-running commands: on the first SIGINT/SIGTERM run `stop` once, exit 0;
// if stopping hangs, exit 1 after a grace period instead of hanging the operator's terminal.
import type { Logger } from '../adapters/log/logger.js';

export function stopOnSignals(log: Logger, stop: () => Promise<void>, graceMs = 10_000): void {
  let stopping = false;
  const onSignal = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: stopping`);
    setTimeout(() => process.exit(1), graceMs).unref();
    try {
      await stop();
    } catch (err) {
      log.error('error while stopping', { error: (err as Error).message });
      process.exit(1);
    }
    process.exit(0);
  };
  process.once('SIGINT', () => void onSignal('SIGINT'));
  process.once('SIGTERM', () => void onSignal('SIGTERM'));
}
