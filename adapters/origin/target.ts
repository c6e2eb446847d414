// Resolves "this rule, this SNI, these ALPN protocols" to an OriginTarget: the connection's
// identity, its pool key under the rule's match mode, and what connecting needs. Cached per rule,
// so the request path costs a few Map lookups. Shared by every client-side protocol pool.
import { isIP } from 'node:net';
import type { OriginRule, PoolMatch } from '../config/model.js';
import { addressKeyOf, differenceOf, identityKeyOf, poolKeyOf, shortKeyOf, type MissReason, type OriginIdentity } from './identity.js';
import { MaterialCache, type TlsMaterial } from './material.js';
import { Resolver } from './resolver.js';

export interface OriginTarget {
  readonly rule: OriginRule;
  readonly identity: OriginIdentity;
  readonly match: PoolMatch;
  /** The pool key (internal; may be long). */
  readonly poolKey: string;
  /** Short non-secret hash of the pool key, for events. */
  readonly shortKey: string;
  /** TLS sessions are cached under this key: the full identity, whatever the match mode. */
  readonly sessionKey: string;
  /** `protocol//address:port`. */
  readonly addressKey: string;
  /** SNI to send, undefined for none. */
  readonly servername: string | undefined;
  /** Name the origin certificate is checked against: the SNI sent, else the `to` host. */
  readonly verifyName: string;
  /** ALPN protocols to offer (https only). */
  readonly alpn: readonly string[];
  readonly material: TlsMaterial | undefined;
}

/** The SNI a request sends to an https origin (undefined for http origins and IP-literal names). */
export function sniFor(rule: OriginRule, requestHost: string, routeSni?: string): string | undefined {
  if (rule.to.protocol !== 'https:') return undefined;
  let name: string;
  if (routeSni !== undefined) name = routeSni;
  else if (rule.sni.mode === 'preserve') name = requestHost;
  else if (rule.sni.mode === 'origin') name = rule.to.host;
  else name = rule.sni.name;
  // RFC 6066 §3: literal IPv4 and IPv6 addresses are not permitted in the server name
  if (name === '' || isIP(name) !== 0) return undefined;
  return name.toLowerCase();
}

/**
 * What a connection for `rule` is when it sends `sni`, offers `alpn` (comma-joined) and connects to
 * `address`. Pure: the pools and `replay` (which re-derives pool keys under another config) share it.
 */
export function identityFor(rule: OriginRule, sni: string | undefined, alpn: string, address: string, material: Pick<TlsMaterial, 'clientCertFingerprint' | 'caHash'> | undefined): OriginIdentity {
  const https = rule.to.protocol === 'https:';
  return {
    protocol: rule.to.protocol,
    host: rule.to.host.toLowerCase(),
    address,
    port: rule.to.port,
    sni: sni ?? '',
    clientCert: https ? (material?.clientCertFingerprint ?? '') : '',
    verify: !https ? 'none' : rule.verify.mode === 'none' ? 'none' : `${rule.verify.mode}:${material?.caHash ?? 'system'}`,
    alpn: https ? alpn : '',
  };
}

/**
 * Why a connection made for `other` (to the same address) cannot serve `wanted`: the first identity
 * property that differs, else a different pool match mode, else undefined.
 */
export function missReasonOf(wanted: OriginTarget, other: OriginTarget): MissReason | undefined {
  return differenceOf(wanted.identity, other.identity) ?? (other.match !== wanted.match ? 'mode_differs' : undefined);
}

/** The short (event) pool key of a connection for `rule` with this identity. */
export function shortPoolKeyFor(rule: OriginRule, identity: OriginIdentity): string {
  return shortKeyOf(poolKeyOf(identity, rule.pool.match));
}

interface RuleState {
  /** Address the targets below were built for. */
  address: string;
  /** alpn (comma-joined) → sni ('' for none) → target. */
  targets: Map<string, Map<string, OriginTarget>>;
  size: number;
}

/** Bounds the per-rule cache: `sni: preserve` under a wildcard rule sees attacker-chosen hosts. */
const MAX_TARGETS_PER_RULE = 4096;

export class OriginTargets {
  private readonly rules = new WeakMap<OriginRule, RuleState>();
  readonly materials = new MaterialCache();

  constructor(readonly resolver = new Resolver()) {}

  /** The target when its address is already known (no I/O), else undefined. Throws OriginError on bad TLS material. */
  cached(rule: OriginRule, sni: string | undefined, alpn: string): OriginTarget | undefined {
    const address = this.resolver.cached(rule.to.host);
    if (address === undefined) return undefined;
    return this.build(rule, sni, alpn, address);
  }

  async get(rule: OriginRule, sni: string | undefined, alpn: string): Promise<OriginTarget> {
    return this.cached(rule, sni, alpn) ?? this.build(rule, sni, alpn, await this.resolver.resolve(rule.to.host));
  }

  private build(rule: OriginRule, sni: string | undefined, alpn: string, address: string): OriginTarget {
    let state = this.rules.get(rule);
    if (!state || state.address !== address) {
      state = { address, targets: new Map(), size: 0 };
      this.rules.set(rule, state);
    }
    let bySni = state.targets.get(alpn);
    if (!bySni) {
      bySni = new Map();
      state.targets.set(alpn, bySni);
    }
    const sniKey = sni ?? '';
    const hit = bySni.get(sniKey);
    if (hit) return hit;
    if (state.size >= MAX_TARGETS_PER_RULE) {
      state.targets.clear();
      state.size = 0;
      bySni = new Map();
      state.targets.set(alpn, bySni);
    }
    const target = this.create(rule, sni, alpn, address);
    bySni.set(sniKey, target);
    state.size++;
    return target;
  }

  private create(rule: OriginRule, sni: string | undefined, alpn: string, address: string): OriginTarget {
    const https = rule.to.protocol === 'https:';
    const material = https ? this.materials.forRule(rule) : undefined;
    const identity = identityFor(rule, sni, alpn, address, material);
    const poolKey = poolKeyOf(identity, rule.pool.match);
    return {
      rule,
      identity,
      match: rule.pool.match,
      poolKey,
      shortKey: shortKeyOf(poolKey),
      sessionKey: identityKeyOf(identity),
      addressKey: addressKeyOf(identity),
      servername: sni,
      verifyName: sni ?? rule.to.host,
      alpn: https && alpn !== '' ? alpn.split(',') : [],
      material,
    };
  }
}
