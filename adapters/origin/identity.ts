// What an origin connection *is*, and the pool key that decides which requests may share it
// (CONFIG.md "Pool match modes"). Pure data and string building: shared by the HTTP/1.1 socket
// pool and any other client-side protocol pool (h2), independent of the socket kind.
import { createHash } from 'node:crypto';
import type { PoolMatch } from '../config/model.js';

/** Every property that changes what a connection to an origin is. No secrets: fingerprints and hashes only. */
export interface OriginIdentity {
  readonly protocol: 'http:' | 'https:';
  /** Host of the rule's `to` URL (a name or an address), lowercased. */
  readonly host: string;
  /** Resolved address actually connected to. */
  readonly address: string;
  readonly port: number;
  /** SNI sent; '' when none (plain http, or an IP-literal name, RFC 6066 §3). */
  readonly sni: string;
  /** SHA-256 fingerprint of the client certificate presented; '' for none. */
  readonly clientCert: string;
  /** Verification policy: `strict:<ca>` / `permissive:<ca>` / `none`, `<ca>` a CA bundle hash or `system`. */
  readonly verify: string;
  /** ALPN protocols offered, comma-joined; '' for none. */
  readonly alpn: string;
}

/** Where a connection goes, whatever it carries: idle connections with the same address are comparable. */
export function addressKeyOf(id: OriginIdentity): string {
  return `${id.protocol}//${id.address}:${id.port}`;
}

/**
 * The full identity as a string: the `sni` pool key, and the TLS session cache key in every mode
 * (a session is never offered under another SNI, certificate or policy).
 */
export function identityKeyOf(id: OriginIdentity): string {
  return `${addressKeyOf(id)}|sni=${id.sni}|cert=${id.clientCert}|verify=${id.verify}|alpn=${id.alpn}`;
}

/** The pool key of `id` under a match mode. */
export function poolKeyOf(id: OriginIdentity, match: PoolMatch): string {
  switch (match) {
    case 'sni':
      return identityKeyOf(id);
    case 'host':
      return `${id.protocol}//${id.host}:${id.port}`;
    case 'ip':
    case 'lax':
      return `${addressKeyOf(id)}|${match}`;
  }
}

/** A short, stable, non-secret label for a pool key (events and logs): 12 base64url chars of SHA-256. */
export function shortKeyOf(poolKey: string): string {
  return createHash('sha256').update(poolKey).digest('base64url').slice(0, 12);
}

/** Why an idle connection to the same address could not serve a request. */
export type MissReason =
  | 'sni_differs'
  | 'client_cert_differs'
  | 'verify_differs'
  | 'alpn_differs'
  | 'host_differs' // `host` mode: another name for the same address
  | 'mode_differs' // the idle connection belongs to a rule with another pool match mode
  | 'pool_full'; // max_connections reached: the request waited

/**
 * The first property (in the order a user would look for it) that separates an idle connection
 * `idle` from the wanted identity, or undefined when they are identical.
 */
export function differenceOf(wanted: OriginIdentity, idle: OriginIdentity): MissReason | undefined {
  if (wanted.sni !== idle.sni) return 'sni_differs';
  if (wanted.clientCert !== idle.clientCert) return 'client_cert_differs';
  if (wanted.verify !== idle.verify) return 'verify_differs';
  if (wanted.alpn !== idle.alpn) return 'alpn_differs';
  if (wanted.host !== idle.host) return 'host_differs';
  return undefined;
}
