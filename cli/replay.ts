// `tlsedge replay`: one connection's recorded events as a timeline, the statechart re-run from
// them, and — with a config — whether that config would still decide the same way.
import { loadConfigFile } from '../adapters/config/load.js';
import { recheckDecisions, replayConnection } from '../actors/connection/explain.js';
import { fileFingerprints } from '../actors/connection/fingerprint.js';
import { summarizeConnectionEvent } from '../actors/connection/summary.js';
import type { AnyEvent } from '../bus/envelope.js';
import { CliError } from './errors.js';
import { openEventSource, type SourceOptions } from './event-source.js';
import { readInstance, DEFAULT_STATE_DIR } from './instance.js';

export interface ReplayOptions extends SourceOptions {
  connection?: string;
  last?: boolean;
  json?: boolean;
  /** Replay an event-sourced actor instead of a connection (`key-rotation`). */
  actor?: string;
}

export async function runReplay(options: ReplayOptions): Promise<void> {
  if (options.actor) return (await import('./keys-replay.js')).replayActor(options.actor, options);
  if (!options.connection && !options.last) throw new CliError('say which connection: --connection ID (from `tlsedge events`), or --last');
  const source = await openEventSource({ ...options, config: undefined } as SourceOptions);
  let events: AnyEvent[] = [];
  try {
    if (options.connection) {
      for await (const e of source.read({ correlationId: options.connection, types: ['tlsedge.connection.*'] })) events.push(e);
    } else {
      // The most recent connection that closed.
      let lastId: string | undefined;
      for await (const e of source.read({ types: ['tlsedge.connection.closed'] })) lastId = e.correlationid;
      if (!lastId) throw new CliError(`no closed connection in ${source.describe} yet: make a request first`);
      for await (const e of source.read({ correlationId: lastId, types: ['tlsedge.connection.*'] })) events.push(e);
    }
  } finally {
    await source.close();
  }
  if (events.length === 0) throw new CliError(`no events for connection ${options.connection} in ${source.describe}`);
  const replay = replayConnection(events);

  const configFile = options.config ?? readInstance(options.stateDir ?? DEFAULT_STATE_DIR)?.configFile ?? undefined;
  const config = configFile ? await loadConfigFile(configFile) : undefined;
  const checks = config ? recheckDecisions(events, config, fileFingerprints()) : [];
  const recordedState = (events.find((e) => e.type === 'tlsedge.connection.closed')?.data as { state?: string } | undefined)?.state;

  if (options.json) {
    process.stdout.write(JSON.stringify({ connection: replay.connection, steps: replay.steps.map((s) => ({ at: s.at, fact: s.fact, state: s.state, ignored: s.ignored, data: s.event.data })), finalState: replay.finalState, recordedState, config: configFile ?? null, decisions: checks, verdict: verdictOf(checks) }, null, 2) + '\n');
    return;
  }
  const out = (line: string) => process.stdout.write(line + '\n');
  out(`connection ${replay.connection} — ${events.length} events from ${events[0]!.source}`);
  let previous = 'accept';
  const path = ['accept'];
  for (const step of replay.steps) {
    const summary = summarizeConnectionEvent(step.event)?.text ?? '';
    const transition = step.state !== previous ? `${previous} → ${step.state}` : step.state;
    out(`  +${step.at.toFixed(0).padStart(5)} ms  ${step.fact.padEnd(21)} ${transition.padEnd(26)} ${summary}${step.ignored ? '   [not accepted in this state]' : ''}`);
    if (step.state !== previous) path.push(step.state);
    previous = step.state;
  }
  out(`statechart: ${path.join(' → ')}`);
  if (recordedState !== undefined) {
    out(`  re-run from the events; the recorded state at close was ${recordedState}: ${recordedState === (replay.steps.at(-2)?.state ?? replay.finalState) || recordedState === replay.finalState ? 'consistent' : 'INCONSISTENT'}`);
  }
  if (!config) {
    out('decisions: pass --config FILE to check whether a config would still decide the same way');
    return;
  }
  out(`decisions under ${configFile}:`);
  for (const c of checks) out(`  ${c.same ? 'same     ' : 'DIFFERENT'}  ${c.what}${c.detail ? `: ${c.detail}` : ''}`);
  out(verdictOf(checks));
}

function verdictOf(checks: Array<{ same: boolean; what: string; detail?: string }>): string {
  const diffs = checks.filter((c) => !c.same);
  return diffs.length === 0 ? 'same' : `different: ${diffs.map((d) => `${d.what} (${d.detail})`).join('; ')}`;
}
