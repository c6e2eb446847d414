// The RFC 8448 test vectors (copied from /work/shared/testdata/rfc8448, see its README) as typed hex.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { unhex } from './hello-builder.js';

type Tree = { [key: string]: string | Tree };

export const rfc8448 = JSON.parse(
  readFileSync(fileURLToPath(new URL('../fixtures/rfc8448-simple-1rtt.json', import.meta.url)), 'utf8'),
) as Tree;

/** The bytes at a dotted path, e.g. `handshake_messages.client_hello`. */
export function vec(path: string): Uint8Array {
  let node: string | Tree | undefined = rfc8448;
  for (const part of path.split('.')) {
    if (typeof node !== 'object' || node === null) throw new Error(`no ${path}`);
    node = node[part];
  }
  if (typeof node !== 'string') throw new Error(`${path} is not a hex string`);
  return unhex(node);
}

export function num(path: string): number {
  let node: unknown = rfc8448;
  for (const part of path.split('.')) node = (node as Record<string, unknown>)[part];
  if (typeof node !== 'number') throw new Error(`${path} is not a number`);
  return node;
}
