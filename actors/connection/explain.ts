// `replay` for one connection: the timeline of its recorded events, the statechart re-run from
// them, and whether another config would still make the same decisions (policy, certificate,
// origin). Pure over events and configs, so it runs the same on a JSONL log or a JetStream stream.
import { createActor } from 'xstate';
import { isIP } from 'node:net';
import type { OriginRule, TlsedgeConfig } from '../../adapters/config/model.js';
import { MaterialCache } from '../../adapters/origin/material.js';
import { identityFor, shortPoolKeyFor, sniFor } from '../../adapters/origin/target.js';
import type { AnyEvent } from '../../bus/envelope.js';
import { connectionMachine, type ConnectionMachineEvent } from '../../machines/connection/machine.js';
import { CONNECTION_EVENT_PREFIX, type ConnectionEventData } from './events.js';
import { selectPolicy, type FingerprintOf } from './policy.js';
import { routeRequest } from './routing.js';

export interface TimelineStep {
  /** Milliseconds since the first event. */
  at: number;
  fact: string;
  event: AnyEvent;
  /** Statechart state after this event. */
  state: string;
  /** The machine did not accept this fact in the state it was in (a gap or a bug worth reporting). */
  ignored: boolean;
}

export interface Replay {
  connection: string;
  steps: TimelineStep[];
  finalState: string;
}

export function replayConnection(events: AnyEvent[]): Replay {
  const own = events.filter((e) => e.type.startsWith(CONNECTION_EVENT_PREFIX)).sort((a, b) => a.sequence - b.sequence);
  if (own.length === 0) throw new Error('no connection events to replay');
  const id = own[0]!.correlationid;
  const actor = createActor(connectionMachine, { input: { id } }).start();
  const t0 = Date.parse(own[0]!.time);
  const steps: TimelineStep[] = [];
  for (const event of own) {
    const fact = event.type.slice(CONNECTION_EVENT_PREFIX.length);
    let ignored = false;
    if (fact !== 'accepted') {
      const before = actor.getSnapshot();
      const machineEvent = { type: fact, ...(event.data as object) } as ConnectionMachineEvent;
      // `closed` after a failure finds the machine already final: that is the expected order.
      ignored = !before.can(machineEvent) && !(fact === 'closed' && before.status === 'done');
      actor.send(machineEvent);
    }
    steps.push({ at: Date.parse(event.time) - t0, fact, event, state: String(actor.getSnapshot().value), ignored });
  }
  const finalState = String(actor.getSnapshot().value);
  actor.stop();
  return { connection: id, steps, finalState };
}

export interface DecisionCheck {
  what: string;
  same: boolean;
  /** When different: recorded → now. */
  detail?: string;
}

/** Re-decides what the recorded connection got under `config`, decision by decision. */
export function recheckDecisions(events: AnyEvent[], config: TlsedgeConfig, fingerprintOf: FingerprintOf): DecisionCheck[] {
  const checks: DecisionCheck[] = [];
  const hello = find<'client_hello_received'>(events, 'client_hello_received');
  const recorded = find<'policy_selected'>(events, 'policy_selected');
  if (hello && recorded) {
    const now = selectPolicy(config, hello.sni, fingerprintOf).facts;
    checks.push(compare('sni rule', describeRule(recorded), describeRule(now)));
    if (!recorded.tunnel || !now.tunnel) {
      checks.push(compare('certificate', `${recorded.certificate ?? 'none'} (${short(recorded.certificateFingerprint)})`, `${now.certificate ?? 'none'} (${short(now.certificateFingerprint)})`));
    }
    checks.push(compare('alpn allowed', recorded.alpn.join(','), now.alpn.join(',')));
    checks.push(compare('tls versions', `${recorded.tls.min}-${recorded.tls.max}`, `${now.tls.min}-${now.tls.max}`));
    checks.push(compare('client certificate mode', recorded.clientCert, now.clientCert));
    checks.push(compare('engine', recorded.engine, now.engine));
    if (recorded.tunnel || now.tunnel) checks.push(compare('tunnel', recorded.tunnel ?? 'none', now.tunnel ?? 'none'));
  }
  const clientAlpn = find<'handshake_completed'>(events, 'handshake_completed')?.alpn ?? null;
  const materials = new MaterialCache();
  for (const e of events) {
    if (e.type !== `${CONNECTION_EVENT_PREFIX}origin_bound`) continue;
    const bound = e.data as ConnectionEventData['origin_bound'];
    const route = routeRequest(config, bound.host, bound.path);
    const now = route ? `origin rule ${route.rule.index} → ${route.rule.to.url}` : 'no route (404)';
    checks.push(compare(`request #${bound.request} ${bound.host}${bound.path}`, `origin rule ${bound.rule} → ${bound.origin}`, now));
    if (route) checks.push(comparePoolKey(bound, route.rule, clientAlpn, materials));
  }
  return checks;
}

/**
 * Whether the request would use the same origin pool key (and so share connections with the same
 * requests) under the new rule. Built with the pools' own identity and key functions, from the
 * recorded origin address (the `ip`/`lax` keys are made of it), so the two cannot drift apart.
 */
function comparePoolKey(bound: ConnectionEventData['origin_bound'], rule: OriginRule, clientAlpn: string | null, materials: MaterialCache): DecisionCheck {
  const what = `request #${bound.request} origin pool key`;
  const recorded = `${bound.poolKey} (sni ${bound.sniSent ?? 'none'})`;
  const address = isIP(rule.to.host) !== 0 ? rule.to.host : rule.to.host === hostOfUrl(bound.origin) ? addressOf(bound.originAddress) : undefined;
  if (address === undefined) {
    return { what, same: false, detail: `${recorded} → unknown: ${rule.to.host} would have to be resolved (${bound.originAddress ? 'another origin host' : 'no address recorded'})` };
  }
  const sni = sniFor(rule, bound.host);
  // an h2 client's request goes to an h2 origin over h2 when the rule allows it (adapters/http/h2/serve.ts)
  const alpn = clientAlpn === 'h2' && rule.protocols.includes('h2') ? 'h2' : 'http/1.1';
  let material;
  try {
    material = rule.to.protocol === 'https:' ? materials.forRule(rule) : undefined;
  } catch (err) {
    return { what, same: false, detail: `${recorded} → unknown: ${(err as Error).message}` };
  }
  const key = shortPoolKeyFor(rule, identityFor(rule, sni, alpn, address, material));
  return compare(what, recorded, `${key} (sni ${sni ?? 'none'})`);
}

function hostOfUrl(url: string): string | undefined {
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return undefined;
  }
}

/** `127.0.0.1:443` / `[::1]:443` → the address. */
function addressOf(hostPort: string | undefined): string | undefined {
  if (!hostPort) return undefined;
  if (hostPort.startsWith('[')) return hostPort.slice(1, hostPort.indexOf(']'));
  const colon = hostPort.lastIndexOf(':');
  return colon < 0 ? hostPort : hostPort.slice(0, colon);
}

function find<F extends keyof ConnectionEventData>(events: AnyEvent[], fact: F): ConnectionEventData[F] | undefined {
  const e = events.find((x) => x.type === `${CONNECTION_EVENT_PREFIX}${fact}`);
  return e?.data as ConnectionEventData[F] | undefined;
}

function describeRule(p: ConnectionEventData['policy_selected']): string {
  return p.rule < 0 ? 'default rule' : `sni[${p.rule}] "${p.match}"`;
}

function short(fp: string | null): string {
  return fp ? `sha256 ${fp.slice(0, 16)}…` : 'no fingerprint';
}

function compare(what: string, recorded: string, now: string): DecisionCheck {
  return recorded === now ? { what, same: true } : { what, same: false, detail: `${recorded} → ${now}` };
}
