// Resumption metrics: attempts and resumptions by mechanism and name, misses by reason, and
// sessions resumed on a node other than the one that issued them. The `sni` label is the served
// certificate's name (bounded by the config; the client's SNI is not).
import { counter, gauge, type Registry } from '../../adapters/metrics/registry.js';

/** `session`: a TLS 1.3 PSK whose identity is a session-store key (offload engine, stateful). */
export type Mechanism = 'ticket' | 'session_id' | 'session';

export class ResumptionMetrics {
  private readonly attempts;
  private readonly resumed;
  private readonly misses;
  private readonly elsewhere;
  private readonly ratio;
  private readonly keyEpoch;
  private readonly tallies = new Map<string, { attempts: number; resumed: number }>();

  constructor(registry: Registry) {
    this.attempts = counter(registry, 'tlsedge_resumption_attempts_total', 'Handshakes that offered a ticket or a session ID, by mechanism and name', ['mechanism', 'sni'] as const);
    this.resumed = counter(registry, 'tlsedge_resumptions_total', 'Handshakes that resumed, by mechanism and name', ['mechanism', 'sni'] as const);
    this.misses = counter(registry, 'tlsedge_resumption_misses_total', 'Offered tickets or session IDs that did not resume, by reason', ['mechanism', 'reason'] as const);
    this.elsewhere = counter(registry, 'tlsedge_resumed_elsewhere_total', 'Resumptions of a session issued by another node of the fleet', ['mechanism'] as const);
    this.ratio = gauge(registry, 'tlsedge_resumption_ratio', 'Resumed / offered since start, by mechanism and name', ['mechanism', 'sni'] as const);
    this.keyEpoch = gauge(registry, 'tlsedge_ticket_key_epoch', 'Epoch of the ticket key this proxy encrypts with (0: none)');
  }

  attempt(mechanism: Mechanism, sni: string, resumed: boolean, elsewhere: boolean, reason?: string): void {
    this.attempts.labels(mechanism, sni).inc();
    if (resumed) this.resumed.labels(mechanism, sni).inc();
    else if (reason) this.misses.labels(mechanism, reason).inc();
    if (elsewhere) this.elsewhere.labels(mechanism).inc();
    const id = `${mechanism}\0${sni}`;
    let t = this.tallies.get(id);
    if (!t) this.tallies.set(id, (t = { attempts: 0, resumed: 0 }));
    t.attempts++;
    if (resumed) t.resumed++;
    this.ratio.labels(mechanism, sni).set(t.resumed / t.attempts);
  }

  encryptingEpoch(epoch: number): void {
    this.keyEpoch.set(epoch);
  }
}
