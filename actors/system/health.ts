// Health of a process: each component registers a check; /healthz reports them all and is
// `ok` only when every check is. Checks are synchronous reads of state the component keeps.
export interface HealthReport {
  ok: boolean;
  /** One line a human can act on, e.g. `token "edge" not present: is swtpm running?`. */
  detail?: string;
  /** Extra facts (no secrets). */
  facts?: Record<string, string | number | boolean | null>;
}

export class HealthRegistry {
  private readonly checks = new Map<string, () => HealthReport>();

  register(name: string, check: () => HealthReport): () => void {
    this.checks.set(name, check);
    return () => this.checks.delete(name);
  }

  report(): { ok: boolean; checks: Record<string, HealthReport> } {
    const checks: Record<string, HealthReport> = {};
    let ok = true;
    for (const [name, check] of this.checks) {
      let r: HealthReport;
      try {
        r = check();
      } catch (err) {
        r = { ok: false, detail: `health check failed: ${(err as Error).message}` };
      }
      checks[name] = r;
      ok &&= r.ok;
    }
    return { ok, checks };
  }
}
