// How a request names a key: a label (`ec256`), `id:<hex>` (CKA_ID), or an RFC 7512 `pkcs11:`
// URI. Resolution against a signer's key list happens in one place so every backend agrees.
import { SignerError } from './errors.js';
import type { KeyInfo } from './keys.js';
import { isPkcs11Uri, parsePkcs11Uri } from './pkcs11/uri.js';

export interface KeySelector {
  label?: string;
  /** Lower-case hex CKA_ID (or software key id). */
  id?: string;
  /** From a URI: must equal the signer's token label when given. */
  token?: string;
}

export function parseKeyRef(ref: string): KeySelector {
  if (typeof ref !== 'string' || ref.length === 0 || ref.length > 1024) throw new SignerError('bad_request', 'key reference must be a non-empty string');
  if (isPkcs11Uri(ref)) {
    const uri = parsePkcs11Uri(ref);
    if (uri.pinValue !== undefined) throw new SignerError('bad_request', 'a key reference must not carry pin-value');
    if (uri.type !== undefined && uri.type !== 'private') throw new SignerError('bad_request', `key reference names type=${uri.type}, not a private key`);
    if (uri.object === undefined && uri.id === undefined) throw new SignerError('bad_request', 'pkcs11 URI names neither object nor id');
    const sel: KeySelector = {};
    if (uri.object !== undefined) sel.label = uri.object;
    if (uri.id !== undefined) sel.id = uri.id.toString('hex');
    if (uri.token !== undefined) sel.token = uri.token;
    return sel;
  }
  if (ref.startsWith('id:')) {
    const hex = ref.slice(3).toLowerCase();
    if (!/^([0-9a-f]{2})+$/.test(hex)) throw new SignerError('bad_request', 'id: key reference must be hex bytes');
    return { id: hex };
  }
  return { label: ref };
}

/** The one key a selector names, or SignerError `key_not_found` (ambiguous labels are an error too). */
export function selectKey(keys: readonly KeyInfo[], sel: KeySelector, signer: string, token?: string): KeyInfo {
  if (sel.token !== undefined && token !== undefined && sel.token !== token) {
    throw new SignerError('key_not_found', `signer ${signer} holds token ${JSON.stringify(token)}, not ${JSON.stringify(sel.token)}`);
  }
  const found = keys.filter((k) => (sel.label === undefined || k.label === sel.label) && (sel.id === undefined || k.id === sel.id));
  if (found.length === 1) return found[0]!;
  const what = [sel.label !== undefined ? `label ${JSON.stringify(sel.label)}` : '', sel.id !== undefined ? `id ${sel.id}` : ''].filter(Boolean).join(' and ');
  if (found.length === 0) throw new SignerError('key_not_found', `signer ${signer} has no private key with ${what}`);
  throw new SignerError('key_not_found', `signer ${signer} has ${found.length} private keys with ${what}: name it by id`);
}
