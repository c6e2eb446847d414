// What crosses the bus between the rotator, the proxies and the CLI (requests get replies and are
// never stored). Key material appears only sealed under the fleet key (AAD = key id).
import { commandSubject } from '../../bus/subjects.js';
import type { KeyOrigin } from './events.js';
import type { KeyStatus } from './state.js';

export const keyRotationSubjects = {
  /** Leader → every proxy (publish): the current block. Also re-sent every few seconds. */
  block: commandSubject('resumption', 'key_block'),
  /** Proxy → leader (request): the current block, at start-up and after a reconnect. */
  fetch: commandSubject('key-rotation', 'block'),
  /** Proxy → leader (publish): presence and the keys it holds (the acknowledgement). */
  acknowledge: commandSubject('key-rotation', 'acknowledge'),
  /** CLI → leader (requests). */
  status: commandSubject('key-rotation', 'status'),
  rotate: commandSubject('key-rotation', 'rotate'),
  export: commandSubject('key-rotation', 'export'),
  import: commandSubject('key-rotation', 'import'),
} as const;

/** Associated data binding sealed ticket-key material to its key id. */
export function keyAad(keyId: string): string {
  return `ticket-key ${keyId}`;
}

export interface SealedKey {
  id: string;
  epoch: number;
  status: KeyStatus;
  sealed: string;
}

/** The block as proxies apply it: newer (term, revision) wins. */
export interface KeyBlockMessage {
  leader: string;
  term: number;
  revision: number;
  keys: SealedKey[];
  /** Live proxies as the leader sees them: lets each proxy name the issuer of a ticket. */
  nodes: string[];
  sentAt: string;
  [key: string]: unknown;
}

/** A proxy's presence: which keys it holds and which one it encrypts with. */
export interface KeyAcknowledgement {
  node: string;
  term: number;
  revision: number;
  held: string[];
  encrypting: string | null;
  [key: string]: unknown;
}

export interface KeyStatusReply {
  leader: string | null;
  term: number;
  revision: number;
  rotation: 'rotating' | 'static';
  rotateEveryMs: number;
  keys: Array<{ id: string; epoch: number; status: KeyStatus; origin: KeyOrigin; stagedAt: string; activatedAt: string | null; retiredAt: string | null; acks: string[]; missing: string[] | null }>;
  removed: Array<{ id: string; epoch: number; removedAt: string; reason: string }>;
  proxies: Array<{ node: string; encrypting: string | null; encryptingEpoch: number | null; heldEpochs: number[]; lastSeenMsAgo: number }>;
  [key: string]: unknown;
}

export interface RotateReply {
  keyId: string;
  epoch: number;
  status: KeyStatus;
  [key: string]: unknown;
}

/** Export: the live keys, encrypting one first (ATS order), still sealed — the CLI opens them. */
export interface ExportReply {
  keys: SealedKey[];
  [key: string]: unknown;
}

/** Import: keys sealed by the CLI with the fleet key, first one to encrypt. */
export interface ImportRequest {
  keys: Array<{ id: string; sealed: string }>;
  [key: string]: unknown;
}

export type ImportedReply = { keys: Array<{ id: string; epoch: number; status: KeyStatus }>; [key: string]: unknown };

export type { KeyOrigin };
