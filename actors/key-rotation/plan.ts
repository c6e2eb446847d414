// The rotator's decisions, pure: from the block, the clock and the live proxies, which events to
// record next. Rotation is acknowledged — a staged key becomes the encrypting key only when every
// live proxy holds it, or at its deadline with the names of those that did not answer.
import type { TicketKeyEventData, TicketKeyFact } from './events.js';
import { activeKey, stagedKey, type KeyBlockState } from './state.js';

export interface LiveProxy {
  node: string;
  /** Key ids it reported holding. */
  held: ReadonlySet<string>;
}

export interface RotationSettings {
  rotateEveryMs: number;
  stageTimeoutMs: number;
  keep: number;
}

/** An event to record, without its term (the actor adds its own). */
export type Step = { [F in TicketKeyFact]: { fact: F; data: Omit<TicketKeyEventData[F], 'term'> } }[TicketKeyFact];

/** Makes a new key: its id and its material sealed under the fleet key. */
export type MintKey = () => { keyId: string; sealed: string };

export function nextSteps(state: KeyBlockState, nowMs: number, live: readonly LiveProxy[], settings: RotationSettings, mint: MintKey): Step[] {
  const staged = stagedKey(state);
  if (staged) {
    const steps: Step[] = [];
    const acks = new Set(staged.acks);
    for (const p of live) {
      if (p.held.has(staged.id) && !acks.has(p.node)) {
        acks.add(p.node);
        steps.push({ fact: 'acknowledged', data: { keyId: staged.id, epoch: staged.epoch, node: p.node } });
      }
    }
    const missing = live.filter((p) => !acks.has(p.node)).map((p) => p.node).sort();
    if (missing.length === 0) return [...steps, ...activationSteps(state, staged.id, [...acks].sort(), settings)];
    if (nowMs >= Date.parse(staged.deadline)) {
      steps.push({ fact: 'stage_timed_out', data: { keyId: staged.id, epoch: staged.epoch, missing } });
      return [...steps, ...activationSteps(state, staged.id, [...acks].sort(), settings)];
    }
    return steps;
  }
  const active = activeKey(state);
  if (active && active.activatedAt && nowMs - Date.parse(active.activatedAt) < settings.rotateEveryMs) return [];
  const { keyId, sealed } = mint();
  return [{ fact: 'staged', data: { keyId, epoch: state.nextEpoch, sealed, origin: 'generated', expected: live.map((p) => p.node).sort(), deadline: new Date(nowMs + settings.stageTimeoutMs).toISOString() } }];
}

/** Previous active → retired, the key → active, and the oldest retired keys beyond `keep` → removed. */
export function activationSteps(state: KeyBlockState, keyId: string, acknowledgedBy: string[], settings: Pick<RotationSettings, 'keep'>): Step[] {
  const key = state.keys.find((k) => k.id === keyId);
  if (!key) return [];
  const steps: Step[] = [];
  const previous = activeKey(state);
  if (previous && previous.id !== keyId) steps.push({ fact: 'retired', data: { keyId: previous.id, epoch: previous.epoch } });
  steps.push({ fact: 'activated', data: { keyId, epoch: key.epoch, acknowledgedBy } });
  const retired = state.keys.filter((k) => k.id !== keyId && (k.status === 'retired' || k.id === previous?.id)).sort((a, b) => b.epoch - a.epoch);
  for (const k of retired.slice(settings.keep)) steps.push({ fact: 'removed', data: { keyId: k.id, epoch: k.epoch, reason: 'keep' } });
  return steps;
}

/**
 * Import (ATS order: the first key encrypts): older keys are staged and retired at once (they
 * only decrypt, which is safe before every proxy has them); the first is staged and goes through
 * the acknowledged activation. A key already staged is superseded (retired: it never encrypted).
 */
export function importSteps(state: KeyBlockState, keys: ReadonlyArray<{ id: string; sealed: string }>, nowMs: number, live: readonly LiveProxy[], settings: RotationSettings): Step[] {
  const steps: Step[] = [];
  const pending = stagedKey(state);
  if (pending) steps.push({ fact: 'retired', data: { keyId: pending.id, epoch: pending.epoch } });
  const deadline = new Date(nowMs + settings.stageTimeoutMs).toISOString();
  const expected = live.map((p) => p.node).sort();
  let epoch = state.nextEpoch;
  for (let i = keys.length - 1; i >= 0; i--) {
    const k = keys[i]!;
    steps.push({ fact: 'staged', data: { keyId: k.id, epoch, sealed: k.sealed, origin: 'imported', expected, deadline } });
    if (i > 0) steps.push({ fact: 'retired', data: { keyId: k.id, epoch } });
    epoch++;
  }
  return steps;
}
