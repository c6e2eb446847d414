// RFC 7512 `pkcs11:` URIs: path attributes (token, object, id, type, slot-id, ...) separated by `;`,
// query attributes (pin-source, pin-value, module-path, module-name) by `&`, values percent-encoded.
import { SignerError } from '../errors.js';

export interface Pkcs11Uri {
  token?: string;
  manufacturer?: string;
  serial?: string;
  model?: string;
  object?: string;
  /** CKA_ID bytes. */
  id?: Buffer;
  type?: 'private' | 'public' | 'cert' | 'secret-key' | 'data';
  slotId?: number;
  slotDescription?: string;
  pinSource?: string;
  /** RFC 7512 §2.3 allows it; tlsedge accepts it only from config, never from a sign request. */
  pinValue?: string;
  modulePath?: string;
  moduleName?: string;
}

const pathKeys = new Set(['token', 'manufacturer', 'serial', 'model', 'object', 'id', 'type', 'slot-id', 'slot-description', 'slot-manufacturer', 'library-manufacturer', 'library-description', 'library-version']);
const queryKeys = new Set(['pin-source', 'pin-value', 'module-path', 'module-name']);
const types = new Set(['private', 'public', 'cert', 'secret-key', 'data']);

function bad(uri: string, why: string): SignerError {
  // The URI may carry pin-value: never echo it.
  return new SignerError('bad_request', `invalid pkcs11 URI (${why})${uri.includes('pin-value') ? '' : `: ${uri}`}`);
}

function decode(uri: string, value: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '%') {
      const hex = value.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw bad(uri, 'bad percent-encoding');
      out.push(parseInt(hex, 16));
      i += 2;
    } else {
      out.push(...Buffer.from(c, 'utf8'));
    }
  }
  return Buffer.from(out);
}

export function isPkcs11Uri(value: string): boolean {
  return value.slice(0, 7).toLowerCase() === 'pkcs11:';
}

export function parsePkcs11Uri(uri: string): Pkcs11Uri {
  if (!isPkcs11Uri(uri)) throw bad(uri, 'scheme is not pkcs11:');
  const rest = uri.slice(7);
  const q = rest.indexOf('?');
  const pathPart = q < 0 ? rest : rest.slice(0, q);
  const queryPart = q < 0 ? '' : rest.slice(q + 1);
  const out: Pkcs11Uri = {};
  const seen = new Set<string>();
  const each = (part: string, sep: string, allowed: Set<string>) => {
    if (part === '') return;
    for (const attr of part.split(sep)) {
      const eq = attr.indexOf('=');
      if (eq <= 0) throw bad(uri, `attribute without a value: ${JSON.stringify(attr.split('=')[0])}`);
      const name = attr.slice(0, eq).toLowerCase();
      const raw = decode(uri, attr.slice(eq + 1));
      if (!allowed.has(name)) {
        if (name.startsWith('x-')) continue; // vendor-specific (RFC 7512 §2.3): ignored
        throw bad(uri, `unknown attribute ${JSON.stringify(name)}`);
      }
      if (seen.has(name)) throw bad(uri, `attribute ${name} given twice`);
      seen.add(name);
      const text = raw.toString('utf8');
      switch (name) {
        case 'token': out.token = text; break;
        case 'manufacturer': out.manufacturer = text; break;
        case 'serial': out.serial = text; break;
        case 'model': out.model = text; break;
        case 'object': out.object = text; break;
        case 'id': out.id = raw; break;
        case 'type':
          if (!types.has(text)) throw bad(uri, `unknown type ${JSON.stringify(text)}`);
          out.type = text as Pkcs11Uri['type'];
          break;
        case 'slot-id':
          if (!/^\d+$/.test(text)) throw bad(uri, 'slot-id is not a number');
          out.slotId = Number(text);
          break;
        case 'slot-description': out.slotDescription = text; break;
        case 'pin-source': out.pinSource = text; break;
        case 'pin-value': out.pinValue = text; break;
        case 'module-path': out.modulePath = text; break;
        case 'module-name': out.moduleName = text; break;
        default: break; // library-* and slot-manufacturer: accepted, not used for selection
      }
    }
  };
  each(pathPart, ';', pathKeys);
  each(queryPart, '&', queryKeys);
  return out;
}

/** Percent-encodes everything outside RFC 7512's unreserved set (for `keys list` output). */
function encode(value: Uint8Array | string, all = false): string {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  let out = '';
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    out += !all && /[A-Za-z0-9\-._~]/.test(c) ? c : `%${b.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** A URI naming one private key: `pkcs11:token=…;object=…;id=%01;type=private`. */
export function formatPkcs11Uri(parts: { token?: string; object?: string; id?: Uint8Array; type?: Pkcs11Uri['type'] }): string {
  const attrs: string[] = [];
  if (parts.token !== undefined) attrs.push(`token=${encode(parts.token)}`);
  if (parts.object !== undefined) attrs.push(`object=${encode(parts.object)}`);
  if (parts.id !== undefined && parts.id.length > 0) attrs.push(`id=${encode(parts.id, true)}`);
  if (parts.type !== undefined) attrs.push(`type=${parts.type}`);
  return `pkcs11:${attrs.join(';')}`;
}
