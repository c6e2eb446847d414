// A PKCS#11 module is process-global: every signer of this process that loads the same module
// shares its state, so a C_Finalize for one is a C_Finalize for all. This gate, one per module
// path, lets module calls run concurrently but makes a re-initialisation exclusive: it waits for
// every call in flight, holds new ones back, and bumps the generation that tells every worker of
// every signer on this module to re-open its session.
import { realpathSync } from 'node:fs';
export class ModuleGate {
  private generationValue = 0;
  private inflight = 0;
  private exclusiveRun: Promise<unknown> | undefined;
  private idleWaiters: Array<() => void> = [];

  get generation(): number {
    return this.generationValue;
  }

  /** Waits out a re-initialisation in progress, then admits one call; returns the generation to use. */
  async enter(): Promise<number> {
    while (this.exclusiveRun) await this.exclusiveRun.catch(() => undefined);
    this.inflight++;
    return this.generationValue;
  }

  leave(): void {
    if (--this.inflight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  /** Runs `fn` alone on the module (nothing else in flight) with the next generation, which then becomes current. */
  async exclusive<T>(fn: (nextGeneration: number) => Promise<T>): Promise<T> {
    while (this.exclusiveRun) await this.exclusiveRun.catch(() => undefined);
    const run = (async () => {
      if (this.inflight > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      try {
        return await fn(this.generationValue + 1);
      } finally {
        // Whatever the outcome, the module was finalised: every old session is gone.
        this.generationValue++;
      }
    })();
    this.exclusiveRun = run;
    try {
      return await run;
    } finally {
      this.exclusiveRun = undefined;
    }
  }
}

const gates = new Map<string, ModuleGate>();

/** The gate of a module, keyed by its real path (a symlink and its target are one library). */
export function moduleGate(modulePath: string): ModuleGate {
  let key = modulePath;
  try {
    key = realpathSync(modulePath);
  } catch {
    // a missing module fails at load, with its own error
  }
  let gate = gates.get(key);
  if (!gate) {
    gate = new ModuleGate();
    gates.set(key, gate);
  }
  return gate;
}
