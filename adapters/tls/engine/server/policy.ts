// What the server may negotiate for one connection: chosen per SNI by the connection actor (or a
// selector run on the ClientHello) before the engine answers. Pure data, no keys: a certificate's
// private key stays with the signer; the engine only knows its id and the schemes it can produce.
import { CipherSuite, NamedGroup, SignatureScheme } from '../../wire/enums.js';

export type KeyAlgorithm = 'ecdsa_p256' | 'ecdsa_p384' | 'rsa' | 'rsa_pss' | 'ed25519';

export interface SigningKey {
  /** The id the signer knows the key by (e.g. `tpm0/example` or a file path hash); never the key. */
  readonly id: string;
  readonly algorithm: KeyAlgorithm;
  /** TLS 1.3 SignatureSchemes the key can produce, in preference order. */
  readonly schemes: readonly number[];
}

export interface CertifiedKey {
  /** DER certificates, leaf first. */
  readonly chain: readonly Uint8Array[];
  readonly key: SigningKey;
}

export type ClientAuthMode = 'none' | 'request' | 'require';

export interface ClientAuthPolicy {
  readonly mode: ClientAuthMode;
  /** DER CA certificates a client chain must lead to. Required for request/require. */
  readonly trustAnchors: readonly Uint8Array[];
  /** Schemes accepted in the client's CertificateVerify (default: the engine's supported set). */
  readonly schemes?: readonly number[];
  /** DER subject names sent in certificate_authorities (helps clients pick); none if omitted. */
  readonly authorityNames?: readonly Uint8Array[];
}

export type TicketMode = 'off' | 'stateless' | 'stateful';

export interface TicketPolicy {
  /** stateless: sealed by the ticket port; stateful: a session-store key (`store_session` output). */
  readonly mode: TicketMode;
  /** ticket_lifetime, at most 604800 (RFC 8446 §4.6.1). */
  readonly lifetimeSeconds: number;
  /** NewSessionTickets sent after the handshake (clients keep one per connection they expect to open). */
  readonly count: number;
  /**
   * max_early_data_size advertised in tickets (0: none). The engine never accepts 0-RTT: this only
   * sizes how much rejected early data it skips, and lets tests make clients try.
   */
  readonly maxEarlyData: number;
}

export interface ServerPolicy {
  /** An id for events (e.g. the SNI rule index). */
  readonly id: string;
  /** Candidates in preference order; the first whose key can sign a scheme the client offers wins. */
  readonly certificates: readonly CertifiedKey[];
  /** ALPN protocols this name may negotiate, server preference first; empty: no ALPN. */
  readonly alpn: readonly string[];
  /** TLS 1.3 suites in server preference order. */
  readonly suites: readonly number[];
  /** Key exchange groups in server preference order. */
  readonly groups: readonly number[];
  readonly clientAuth: ClientAuthPolicy;
  /** Accept PSK resumption (tickets and session-store identities). */
  readonly resumption: boolean;
  readonly tickets: TicketPolicy;
  /** record_size_limit we advertise when the client sends one (RFC 8449), ≤ 2^14 + 1. */
  readonly recordSizeLimit: number;
  /** Groups listed in EncryptedExtensions supported_groups (RFC 8446 §4.2.7); omitted when undefined. */
  readonly advertisedGroups?: readonly number[];
}

export const DEFAULT_SUITES: readonly number[] = [
  CipherSuite.TLS_AES_128_GCM_SHA256,
  CipherSuite.TLS_AES_256_GCM_SHA384,
  CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
];

export const DEFAULT_GROUPS: readonly number[] = [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1];

/** Schemes the engine verifies in a client CertificateVerify. */
export const CLIENT_SIGNATURE_SCHEMES: readonly number[] = [
  SignatureScheme.ecdsa_secp256r1_sha256,
  SignatureScheme.ecdsa_secp384r1_sha384,
  SignatureScheme.rsa_pss_rsae_sha256,
  SignatureScheme.rsa_pss_rsae_sha384,
  SignatureScheme.rsa_pss_rsae_sha512,
  SignatureScheme.ed25519,
];

/** The schemes a key of `algorithm` can produce in TLS 1.3 (RFC 8446 §4.2.3: no PKCS#1 v1.5, no SHA-1). */
export function schemesFor(algorithm: KeyAlgorithm): number[] {
  switch (algorithm) {
    case 'ecdsa_p256':
      return [SignatureScheme.ecdsa_secp256r1_sha256];
    case 'ecdsa_p384':
      return [SignatureScheme.ecdsa_secp384r1_sha384];
    case 'rsa':
      return [SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.rsa_pss_rsae_sha384, SignatureScheme.rsa_pss_rsae_sha512];
    case 'rsa_pss':
      return [SignatureScheme.rsa_pss_pss_sha256, SignatureScheme.rsa_pss_pss_sha384, SignatureScheme.rsa_pss_pss_sha512];
    case 'ed25519':
      return [SignatureScheme.ed25519];
  }
}

/** A policy with the defaults filled in: every suite and group, tickets off, no client auth. */
export function serverPolicy(overrides: Partial<ServerPolicy> & Pick<ServerPolicy, 'certificates'>): ServerPolicy {
  return {
    id: 'default',
    alpn: [],
    suites: DEFAULT_SUITES,
    groups: DEFAULT_GROUPS,
    clientAuth: { mode: 'none', trustAnchors: [] },
    resumption: true,
    tickets: { mode: 'off', lifetimeSeconds: 7200, count: 1, maxEarlyData: 0 },
    recordSizeLimit: (1 << 14) + 1,
    ...overrides,
  };
}
