// The validated, normalized configuration (tlsedge.yaml after loading). YAML keys are snake_case
// (CONFIG.md is the contract); here they are camelCase, durations are milliseconds and every path
// is absolute (resolved against the config file's directory).

export interface TlsedgeConfig {
  /** Absolute path of the file this came from; undefined for built-in configs (demo). */
  file: string | undefined;
  /** Directory relative paths were resolved against. */
  baseDir: string;
  /** Stable id of this process in events and subjects (default: host name + pid hash). */
  nodeId: string | undefined;
  listen: ListenConfig[];
  admin: AdminConfig;
  bus: BusConfig;
  log: LogConfig;
  /** 32 random bytes that seal secrets crossing the bus. Required when the bus is NATS. */
  fleetKeyFile: string | undefined;
  limits: LimitsConfig;
  session: SessionConfig;
  certificates: CertificateConfig[];
  sni: SniRule[];
  origins: OriginRule[];
  signers: SignerConfig[];
}

export interface HostPort {
  host: string;
  port: number;
}

export interface ListenConfig extends HostPort {
  /** As written, e.g. `127.0.0.1:8443`. */
  address: string;
}

export interface AdminConfig {
  /** null disables the admin endpoint. */
  address: HostPort | null;
}

export interface BusConfig {
  /** `memory://` or `nats://host:port[,nats://…]`. */
  url: string;
  transport: 'memory' | 'nats';
  /** NATS servers (empty for memory). */
  servers: string[];
  credsFile?: string;
  nkeySeedFile?: string;
  user?: string;
  passwordEnv?: string;
  tls?: { ca?: string; cert?: string; key?: string };
}

export interface LogConfig {
  dir: string;
  /** Segment size before rotation. */
  segmentBytes: number;
  /** `interval`: fsync every `fsyncIntervalMs` and on rotate/close; `always`: after every write batch; `never`. */
  fsync: 'interval' | 'always' | 'never';
  fsyncIntervalMs: number;
  /** Segments kept (oldest deleted beyond this); 0 = keep all. */
  maxSegments: number;
  /** NATS mode: JetStream stream name for events. */
  stream: string;
  /** NATS mode: stream retention. */
  maxAgeMs: number;
}

export interface LimitsConfig {
  maxConnections: number;
  helloTimeoutMs: number;
  maxHelloBytes: number;
  handshakeTimeoutMs: number;
  /** Client connection idle timeout (keep-alive). */
  idleTimeoutMs: number;
  /** Max request head size from clients. */
  maxHeaderBytes: number;
}

export interface SessionConfig {
  tickets: TicketsConfig;
  cache: SessionCacheConfig;
}

export interface TicketsConfig {
  enabled: boolean;
  rotateEveryMs: number;
  /** Retired keys still accepted for decryption. */
  keep: number;
  /** ATS-format key block (48-byte keys back to back; the first encrypts). Static: disables rotation. */
  keyFile: string | undefined;
  /** How long a staged key waits for proxies' acknowledgements before activating anyway. */
  stageTimeoutMs: number;
  /** Ticket lifetime advertised to clients. */
  lifetimeMs: number;
  /** NATS KV bucket holding the rotator lease (distributed mode). */
  leaseBucket: string;
  /** Lease time: a rotator that stops renewing is replaced within this. */
  leaseTtlMs: number;
}

export interface SessionCacheConfig {
  enabled: boolean;
  ttlMs: number;
  size: number;
  /** A store lookup slower than this is a miss (never a stall). */
  lookupTimeoutMs: number;
  /** NATS KV bucket backing the store in distributed mode. */
  bucket: string;
  /** Sessions each proxy keeps in its own memory (filled by its own and the fleet's new sessions). */
  localSize: number;
}

export type CertificateKey =
  | { kind: 'file'; path: string; passphraseEnv?: string }
  | { kind: 'signer'; signer: string; label?: string; id?: string; uri?: string };

export interface CertificateConfig {
  /** Position in `certificates`, for error messages and events. */
  index: number;
  /** Stable id for events: the first name, or `cert-<index>`. */
  id: string;
  names: string[];
  /** Leaf + chain PEM. */
  cert: string;
  key: CertificateKey;
  /** Per-certificate ticket override; unset fields inherit `session.tickets`. */
  tickets?: { enabled?: boolean; keyFile?: string };
  default: boolean;
}

export type TlsVersion = '1.2' | '1.3';
export type ClientCertMode = 'none' | 'request' | 'require';

export interface SniRule {
  index: number;
  /** Exact name, `*.suffix` or `*`. Lowercase. */
  match: string;
  /** Protocols this name may negotiate, in server preference order. */
  alpn: string[];
  tls: {
    min: TlsVersion;
    max: TlsVersion;
    /** OpenSSL cipher list for TLS 1.2. */
    ciphers?: string;
    /** TLS 1.3 suites, e.g. `TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256`. */
    ciphersuites?: string;
    /** Named groups, e.g. `[x25519, P-256]`. */
    groups?: string[];
  };
  clientCert: {
    mode: ClientCertMode;
    /** CA bundle PEM verifying client certificates. Required for request/require. */
    ca?: string;
    /** Pass subject, SAN and fingerprint to the origin in `X-Client-Cert-*` headers. */
    forwardHeaders: boolean;
  };
  engine: 'native' | 'offload';
  /** TCP passthrough: no termination. */
  tunnel?: HostPort;
  /** Name of the certificate to serve (default: chosen by SNI from `certificates`). */
  certificate?: string;
}

export type PoolMatch = 'sni' | 'host' | 'ip' | 'lax';

export interface OriginRule {
  index: number;
  match: {
    /** Exact name, `*.suffix` or `*`; undefined matches every host. */
    host?: string;
    pathPrefix: string;
  };
  to: {
    url: string;
    protocol: 'http:' | 'https:';
    host: string;
    port: number;
    /** Path prefix prepended to the request path (from the `to` URL), '' for none. */
    basePath: string;
  };
  /** `preserve`: the client's host; `origin`: the to-URL host; otherwise a literal name. */
  sni: { mode: 'preserve' } | { mode: 'origin' } | { mode: 'literal'; name: string };
  hostHeader: 'preserve' | 'origin';
  verify: { mode: 'strict' | 'permissive' | 'none'; ca?: string };
  clientCert?: { cert: string; key: string };
  /** ALPN offered to the origin: `http/1.1` or `h2`. */
  protocols: string[];
  pool: {
    match: PoolMatch;
    maxIdle: number;
    idleTimeoutMs: number;
    /** Cap on open connections per pool key; requests beyond it wait (bounded) or get 503. */
    maxConnections: number;
  };
  timeouts: {
    connectMs: number;
    /** Time to the response head. */
    responseMs: number;
  };
}

export interface SignerConfig {
  index: number;
  name: string;
  type: 'software' | 'pkcs11';
  /** pkcs11: module path. */
  module?: string;
  /** pkcs11: token label. */
  token?: string;
  /** pkcs11: slot id (instead of token label). */
  slot?: number;
  pinEnv?: string;
  pinFile?: string;
  /** Worker threads in the signer's pool. */
  workers: number;
  /** Max requests waiting beyond those in flight; more are refused with `queue_full`. */
  maxQueue: number;
  /** Max concurrent operations per key (a TPM serialises: 1). */
  perKeyConcurrency: number;
  /** Deadline per sign request. */
  timeoutMs: number;
  /** software: keys by label. */
  keys: Array<{ label: string; file: string; passphraseEnv?: string }>;
  /** Extra environment for the PKCS#11 module (e.g. SOFTHSM2_CONF, TPM2_PKCS11_TCTI). */
  env: Record<string, string>;
  /** pkcs11: an RFC 7512 URI naming token (and module-path / slot-id); fields above take precedence. */
  uri?: string;
  /** software: where signatures run — `libuv` (default: node:crypto async), `piscina` (worker pool), `inline`. */
  offload?: 'libuv' | 'piscina' | 'inline';
}
