// Routes a presented ticket to the server variant holding its key: the first 8 bytes of the key
// name identify (key, scope), the next 8 the issuing node (adapters/crypto/ticket-scope.ts). Tables
// are derived once per (key set version, scope); a connection costs Map lookups, no crypto.
import { deriveScopedParts, type ScopedKeyParts } from '../../adapters/crypto/ticket-scope.js';
import type { KeyStatus } from '../key-rotation/state.js';
import type { KeySet } from './key-sets.js';

export interface ScopedKey {
  keyId: string;
  epoch: number;
  status: KeyStatus;
  parts: ScopedKeyParts;
}

interface ScopeTable {
  version: number;
  scope: string;
  encrypt: ScopedKey | undefined;
  byName: Map<string, ScopedKey>;
}

export type TicketRoute =
  | { kind: 'none' }
  | { kind: 'routed'; key: ScopedKey; tag: string }
  | { kind: 'unknown_key' }
  | { kind: 'policy_mismatch'; scope: string };

/** Hex chars of the scope name and of the node tag in a 32-char key name. */
const NAME_HEX = 16;

export class TicketRouter {
  private readonly tables = new Map<string, ScopeTable>();

  table(keys: KeySet, scope: string): ScopeTable {
    const id = `${keys.name}\0${scope}`;
    let t = this.tables.get(id);
    if (t && t.version === keys.version) return t;
    const byName = new Map<string, ScopedKey>();
    let encrypt: ScopedKey | undefined;
    for (const k of keys.keys) {
      const scoped: ScopedKey = { keyId: k.id, epoch: k.epoch, status: k.status, parts: deriveScopedParts(k.material, scope) };
      byName.set(scoped.parts.scopeName, scoped);
      if (k.status === 'active') encrypt = scoped;
    }
    t = { version: keys.version, scope, encrypt, byName };
    this.tables.set(id, t);
    return t;
  }

  /** `presented`: 32-hex-char key names from the hello (PSK identities first, then the 1.2 ticket). */
  route(keys: KeySet, scope: string, presented: readonly string[]): TicketRoute {
    if (presented.length === 0) return { kind: 'none' };
    const table = this.table(keys, scope);
    for (const name of presented) {
      const key = table.byName.get(name.slice(0, NAME_HEX));
      if (key) return { kind: 'routed', key, tag: name.slice(NAME_HEX, 2 * NAME_HEX) };
    }
    // Not ours here: issued under another policy's scope (the CVE-2025-23419 case), or unknown.
    for (const other of this.tables.values()) {
      if (other.scope === scope) continue;
      for (const name of presented) if (other.byName.has(name.slice(0, NAME_HEX))) return { kind: 'policy_mismatch', scope: other.scope };
    }
    return { kind: 'unknown_key' };
  }

  forget(keySetName: string): void {
    for (const id of this.tables.keys()) if (id.startsWith(`${keySetName}\0`)) this.tables.delete(id);
  }
}

/** A server variant: `<key id>.<node tag hex>`. */
export function variantOf(keyId: string, tagHex: string): string {
  return `${keyId}.${tagHex}`;
}

export function keyIdOfVariant(variant: string): string {
  const dot = variant.indexOf('.');
  return dot < 0 ? variant : variant.slice(0, dot);
}
