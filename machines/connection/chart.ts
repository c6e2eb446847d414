// The connection statechart on the hot path. XState decides every transition; a ConnectionChart
// remembers each decision, process-wide, per (state, what the guards read, event) — so a
// connection walks a small graph of XState snapshots with one Map lookup per fact instead of
// running an actor (createActor + a macrostep per fact cost ~100 µs per connection inside a loaded
// proxy: docs/design/connection-statechart.md). Replay and explain run the real actor on the same
// machine; a model-based test checks this walk against it.
import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import type { ConnectionEventData } from '../../actors/connection/events.js';
import { connectionMachine, decisionKey, type ConnectionMachineEvent, type ConnectionMachineFact, type ConnectionStateName } from './machine.js';

type Snapshot = SnapshotFrom<typeof connectionMachine>;

/** One distinct decision-relevant snapshot; its outgoing edges are filled in as connections take them. */
interface ChartNode {
  readonly state: ConnectionStateName;
  readonly done: boolean;
  /**
   * The XState snapshot that computes this node's transitions. Its context is that of the first
   * connection to arrive here; only the parts in `decisionKey` can change a decision.
   */
  readonly snapshot: Snapshot;
  readonly next: Map<string, ChartNode>;
}

/** Nodes by decision key: bounded by states × guard inputs (a handful), not by connections. */
const nodes = new Map<string, ChartNode>();

function nodeFor(snapshot: Snapshot): ChartNode {
  const key = decisionKey.snapshot(snapshot.value as ConnectionStateName, snapshot.context);
  let node = nodes.get(key);
  if (!node) {
    node = { state: snapshot.value as ConnectionStateName, done: snapshot.status === 'done', snapshot, next: new Map() };
    nodes.set(key, node);
  }
  return node;
}

let initial: ChartNode | undefined;

/** One connection's position in the statechart. */
export class ConnectionChart {
  private node: ChartNode;

  constructor() {
    initial ??= nodeFor(initialTransition(connectionMachine, { id: '' })[0]);
    this.node = initial;
  }

  get state(): ConnectionStateName {
    return this.node.state;
  }

  /** True once the machine reached its final state (`closed`). */
  get done(): boolean {
    return this.node.done;
  }

  /** Applies a fact; one the machine does not accept in this state leaves it unchanged (as an actor would). */
  send<F extends ConnectionMachineFact>(fact: F, data: ConnectionEventData[F]): ConnectionStateName {
    if (this.node.done) return this.node.state;
    const key = decisionKey.event(fact, data);
    let next = this.node.next.get(key);
    if (!next) {
      const event = { type: fact, ...data } as ConnectionMachineEvent;
      next = nodeFor(transition(connectionMachine, this.node.snapshot, event)[0]);
      this.node.next.set(key, next);
    }
    this.node = next;
    return next.state;
  }
}
