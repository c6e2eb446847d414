// The signer's commands (requests with replies) and their subjects. Each signer name has its own
// subjects, served in queue group `signer`: a request reaches exactly one process that holds that
// signer, and `no_responders` comes back at once when none does.
import type { Json } from '../../bus/envelope.js';
import { commandSubject } from '../../bus/subjects.js';
import { SignerError } from '../../adapters/signer/errors.js';
import type { KeyInfoJson } from '../../adapters/signer/keys.js';

export const SIGNER_QUEUE = 'signer';

const signSubjects = new Map<string, string>();

/** `tlsedge.cmd.signer.sign.<signer>` (built once per signer name: every offloaded handshake asks). */
export function signSubject(signer: string): string {
  let subject = signSubjects.get(signer);
  if (subject === undefined) {
    subject = commandSubject('signer', `sign.${signer}`);
    if (signSubjects.size < 1024) signSubjects.set(signer, subject);
  }
  return subject;
}

/** `tlsedge.cmd.signer.keys.list.<signer>` */
export function keysListSubject(signer: string): string {
  return commandSubject('signer', `keys.list.${signer}`);
}

/** `tlsedge.cmd.signer.cancel`: every signer process hears it (no queue group). */
export const CANCEL_SUBJECT = commandSubject('signer', 'cancel');

export interface SignCommand {
  /** Unique per attempt; `cancel` names it. */
  requestId: string;
  signer: string;
  /** Label, `id:<hex>` or RFC 7512 URI. */
  key: string;
  scheme: string;
  /** Content to sign, base64. */
  data: string;
  /** Milliseconds the requester still waits (relative: immune to clock skew between hosts). */
  deadlineMs: number;
}

export interface SignReply {
  /** TLS-encoded signature, base64. */
  signature: string;
  keyId: string;
  /** Node id of the process that signed. */
  node: string;
  queuedMs: number;
  signMs: number;
}

export interface KeysListCommand {
  signer: string;
}

export interface KeysListReply {
  signer: string;
  node: string;
  keys: KeyInfoJson[];
}

export interface CancelCommand {
  requestId: string;
}

const MAX_DATA_B64 = 88_000; // 64 KiB of content

function field(obj: Record<string, Json | undefined>, name: string, type: 'string' | 'number'): string | number {
  const value = obj[name];
  if (typeof value !== type) throw new SignerError('bad_request', `sign command: ${name} must be a ${type}`);
  return value as string | number;
}

function asObject(data: Json, what: string): Record<string, Json | undefined> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new SignerError('bad_request', `${what} must be a JSON object`);
  return data;
}

export function parseSignCommand(data: Json): SignCommand {
  const o = asObject(data, 'sign command');
  const cmd: SignCommand = {
    requestId: field(o, 'requestId', 'string') as string,
    signer: field(o, 'signer', 'string') as string,
    key: field(o, 'key', 'string') as string,
    scheme: field(o, 'scheme', 'string') as string,
    data: field(o, 'data', 'string') as string,
    deadlineMs: field(o, 'deadlineMs', 'number') as number,
  };
  if (cmd.requestId.length === 0 || cmd.requestId.length > 128) throw new SignerError('bad_request', 'sign command: requestId must be 1–128 characters');
  if (cmd.data.length > MAX_DATA_B64 || !/^[A-Za-z0-9+/]*={0,2}$/.test(cmd.data)) throw new SignerError('bad_request', 'sign command: data must be base64 of at most 64 KiB');
  if (!Number.isFinite(cmd.deadlineMs) || cmd.deadlineMs <= 0) throw new SignerError('bad_request', 'sign command: deadlineMs must be a positive number');
  return cmd;
}

export function parseKeysListCommand(data: Json): KeysListCommand {
  const o = asObject(data, 'keys.list command');
  return { signer: field(o, 'signer', 'string') as string };
}

export function parseCancelCommand(data: Json): CancelCommand | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data) || typeof data.requestId !== 'string') return undefined;
  return { requestId: data.requestId };
}
