// `tlsedge replay --actor key-rotation`: rebuilds the ticket-key block from the event log by
// folding its events, printing each step and the block it leads to — ids, epochs, times, never
// material (not even sealed).
import { TICKET_KEY_STREAM } from '../actors/key-rotation/events.js';
import { evolve, initialKeyBlockState, isTicketKeyEvent, type KeyBlockState } from '../actors/key-rotation/state.js';
import type { TicketKeyEvent } from '../actors/key-rotation/events.js';
import type { AnyEvent } from '../bus/envelope.js';
import { CliError } from './errors.js';
import { openEventSource, type SourceOptions } from './event-source.js';

export async function replayActor(actor: string, options: SourceOptions & { json?: boolean }): Promise<void> {
  if (actor !== 'key-rotation') throw new CliError(`--actor: only key-rotation is replayable (got ${actor})`);
  const source = await openEventSource(options);
  const events: AnyEvent[] = [];
  try {
    for await (const e of source.read({ correlationId: TICKET_KEY_STREAM, types: ['tlsedge.ticketkey.*'] })) if (isTicketKeyEvent(e)) events.push(e);
  } finally {
    await source.close();
  }
  if (events.length === 0) throw new CliError(`no ticket-key events in ${source.describe}`);
  let state = initialKeyBlockState;
  const out = (line: string) => process.stdout.write(line + '\n');
  const steps: Array<{ time: string; fact: string; key: string | null; epoch: number | null; term: number; detail: string; applied: boolean }> = [];
  for (const e of events) {
    const before = state.revision;
    state = evolve(state, e as unknown as TicketKeyEvent);
    const d = e.data as { keyId?: string; epoch?: number; term: number; node?: string; missing?: string[]; reason?: string; acknowledgedBy?: string[]; origin?: string };
    const detail = d.node ? `by ${d.node}` : d.missing ? `missing ${d.missing.join(',')}` : d.acknowledgedBy ? `acknowledged by ${d.acknowledgedBy.join(',') || 'none'}` : d.reason ? `(${d.reason})` : d.origin === 'imported' ? '(imported)' : '';
    steps.push({ time: e.time, fact: e.type.slice('tlsedge.ticketkey.'.length), key: d.keyId ?? null, epoch: d.epoch ?? null, term: d.term, detail, applied: state.revision !== before });
  }
  const block = describeBlock(state);
  if (options.json) {
    out(JSON.stringify({ events: events.length, steps, block }, null, 2));
    return;
  }
  out(`ticket-key block — ${events.length} events from ${source.describe}`);
  for (const s of steps) out(`  ${s.time}  ${s.fact.padEnd(16)} ${(s.key ?? '').padEnd(14)} ${(s.epoch === null ? '' : `epoch ${s.epoch}`).padEnd(9)} term ${String(s.term).padEnd(4)} ${s.detail}${s.applied ? '' : '   [ignored: superseded term]'}`);
  out(`block: leader ${block.leader ?? '-'} term ${block.term}, revision ${block.revision}`);
  for (const k of block.keys) out(`  epoch ${String(k.epoch).padStart(4)}  ${k.id.padEnd(14)} ${k.status.padEnd(8)} staged ${k.stagedAt}  activated ${k.activatedAt ?? '-'}  retired ${k.retiredAt ?? '-'}`);
  for (const r of block.removed) out(`  epoch ${String(r.epoch).padStart(4)}  ${r.id.padEnd(14)} removed  ${r.removedAt} (${r.reason})`);
}

/** The block without any material: what may be printed. */
export function describeBlock(state: KeyBlockState) {
  return {
    leader: state.leader,
    term: state.term,
    revision: state.revision,
    keys: state.keys.map((k) => ({ id: k.id, epoch: k.epoch, status: k.status, origin: k.origin, stagedAt: k.stagedAt, activatedAt: k.activatedAt, retiredAt: k.retiredAt, acks: [...k.acks], missing: k.missing })),
    removed: state.removed.map((r) => ({ ...r })),
  };
}
