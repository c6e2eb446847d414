// One thread's view of a PKCS#11 token (PKCS#11 v2.40 base spec §5): load the module, open a
// session, log in, find keys, sign, generate. Synchronous and blocking: runs only in pool workers.
// The module is process-global, so: tolerate CKR_CRYPTOKI_ALREADY_INITIALIZED and
// CKR_USER_ALREADY_LOGGED_IN, never C_Finalize except in the coordinated `reinit` (every other
// worker idle), and one session per thread (a worker runs one task at a time).
import { createPrivateKey, createPublicKey, randomBytes, X509Certificate } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { SignerError, type SignerErrorCode } from '../errors.js';
import { keyAlgorithmOf, schemesForAlgorithm, spkiOf, type KeyAlgorithm, type KeyInfo } from '../keys.js';
import { digest, digestInfo, ecdsaRawToDer, hashLength, schemes, type SchemeName } from '../schemes.js';
import { encodeDer, parseDer, type Asn1 } from '../../x509/der.js';
import { CKK_EC_EDWARDS, CKM_EC_EDWARDS_KEY_PAIR_GEN, CKS_RO_USER_FUNCTIONS, CKS_RW_USER_FUNCTIONS, CKM_EDDSA, ecParams, ed25519NameParams } from './constants.js';

type Handle = Buffer;

const forgeContextClass = 0x80; // node-forge asn1.Class.CONTEXT_SPECIFIC

export interface TokenConfig {
  /** Absolute path of the PKCS#11 module. */
  module: string;
  /** Token label (CKA_LABEL of the token, blank-padded on the wire). */
  token?: string;
  /** Slot id, when no label is given. */
  slot?: number;
  /** User PIN; resolved by the main thread from pin_env / pin_file. */
  pin?: string;
}

export type GenerateType = 'ec-p256' | 'ec-p384' | 'rsa2048' | 'rsa3072' | 'ed25519';

/** A failure with what the pool must do about it. */
export class TokenFailure extends SignerError {
  constructor(
    code: SignerErrorCode,
    message: string,
    /** The module's state is suspect: every worker must wait for a coordinated re-initialisation. */
    readonly reinit = false,
  ) {
    super(code, message);
  }
}

const rv = (err: unknown): string => (err instanceof Error ? err.message.split(/[\s:]/)[0] ?? '' : '');

/** Maps a CKR_* failure onto a SignerError code; `context` says what we were doing (no secrets). */
export function classify(err: unknown, context: string): TokenFailure {
  if (err instanceof TokenFailure) return err;
  const name = rv(err);
  const msg = `${context}: ${name || (err as Error)?.message || String(err)}`;
  switch (name) {
    case 'CKR_PIN_INCORRECT':
    case 'CKR_PIN_INVALID':
    case 'CKR_PIN_LEN_RANGE':
    case 'CKR_PIN_LOCKED':
    case 'CKR_PIN_EXPIRED':
      return new TokenFailure('bad_pin', msg);
    case 'CKR_TOKEN_NOT_PRESENT':
    case 'CKR_TOKEN_NOT_RECOGNIZED':
    case 'CKR_DEVICE_REMOVED':
    case 'CKR_SLOT_ID_INVALID':
      // Sessions are gone; looking for the token again (no module re-init) finds it when it is back.
      return new TokenFailure('token_absent', msg);
    case 'CKR_MECHANISM_INVALID':
    case 'CKR_MECHANISM_PARAM_INVALID':
    case 'CKR_KEY_TYPE_INCONSISTENT':
    case 'CKR_KEY_FUNCTION_NOT_PERMITTED':
    case 'CKR_FUNCTION_NOT_SUPPORTED':
      return new TokenFailure('unsupported_scheme', msg);
    case 'CKR_ATTRIBUTE_VALUE_INVALID':
    case 'CKR_TEMPLATE_INCOMPLETE':
    case 'CKR_TEMPLATE_INCONSISTENT':
    case 'CKR_DATA_LEN_RANGE':
    case 'CKR_ATTRIBUTE_TYPE_INVALID':
      return new TokenFailure('bad_request', msg);
    case 'CKR_CRYPTOKI_NOT_INITIALIZED':
    case 'CKR_GENERAL_ERROR':
    case 'CKR_DEVICE_ERROR':
    case 'CKR_DEVICE_MEMORY':
    case 'CKR_FUNCTION_FAILED':
      // tpm2-pkcs11 answers CKR_GENERAL_ERROR forever once its TPM connection broke: only a
      // C_Finalize + C_Initialize recovers (measured; see docs/tpm.md).
      return new TokenFailure('token_error', `${msg} (the token or its device failed; is it reachable?)`, true);
    default:
      return new TokenFailure('token_error', msg, name.startsWith('CKR_') ? false : true);
  }
}

// Session-level failures a fresh session (and login) fixes.
const sessionErrors = new Set(['CKR_SESSION_HANDLE_INVALID', 'CKR_SESSION_CLOSED', 'CKR_USER_NOT_LOGGED_IN', 'CKR_OBJECT_HANDLE_INVALID', 'CKR_KEY_HANDLE_INVALID', 'CKR_OPERATION_ACTIVE']);

function ulong(value: Buffer | undefined): number | undefined {
  if (!value || value.length === 0) return undefined;
  return value.length >= 8 ? Number(value.readBigUInt64LE(0)) : value.readUInt32LE(0);
}

function bool(value: Buffer | undefined): boolean | undefined {
  return value && value.length > 0 ? value[0] !== 0 : undefined;
}

/** The raw point inside CKA_EC_POINT (a DER OCTET STRING per PKCS#11, raw from some modules). */
function unwrapPoint(value: Buffer): Buffer {
  if (value[0] === 0x04 && value.length > 2) {
    let len = value[1]!;
    let off = 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = (len << 8) | value[2 + i]!;
      off = 2 + n;
    }
    if (off + len === value.length) return value.subarray(off);
  }
  return value;
}

function octetString(bytes: Buffer): Buffer {
  const len = bytes.length < 0x80 ? Buffer.from([bytes.length]) : Buffer.from([0x81, bytes.length]);
  return Buffer.concat([Buffer.from([0x04]), len, bytes]);
}

function curveOf(params: Buffer): 'P-256' | 'P-384' | 'Ed25519' | undefined {
  if (params.equals(ecParams['P-256'])) return 'P-256';
  if (params.equals(ecParams['P-384'])) return 'P-384';
  if (params.equals(ecParams.Ed25519) || params.equals(ed25519NameParams)) return 'Ed25519';
  return undefined;
}

function spkiFromEc(params: Buffer, point: Buffer): Buffer | undefined {
  const curve = curveOf(params);
  const raw = unwrapPoint(point);
  if (curve === 'Ed25519') {
    return spkiOf(createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' }));
  }
  if (!curve || raw[0] !== 0x04) return undefined;
  const n = (raw.length - 1) / 2;
  return spkiOf(createPublicKey({ key: { kty: 'EC', crv: curve, x: raw.subarray(1, 1 + n).toString('base64url'), y: raw.subarray(1 + n).toString('base64url') }, format: 'jwk' }));
}

function spkiFromRsa(modulus: Buffer, exponent: Buffer): Buffer {
  return spkiOf(createPublicKey({ key: { kty: 'RSA', n: modulus.toString('base64url'), e: exponent.toString('base64url') }, format: 'jwk' }));
}

/** SubjectPublicKeyInfo from a DER certificate (via node:crypto's X.509 parser). */
function spkiFromCertificate(der: Buffer): Buffer | undefined {
  try {
    return spkiOf(new X509Certificate(der).publicKey);
  } catch {
    return undefined;
  }
}

export class Pkcs11Token {
  private lib: pkcs11js.PKCS11 | undefined;
  private slot: Handle | undefined;
  private session: Handle | undefined;
  private generation = -1;
  private mechanisms = new Set<number>();
  private readonly keyHandles = new Map<string, Handle>();

  constructor(private readonly config: TokenConfig) {}

  /** Makes sure this thread has a logged-in session for `generation` (bumped after each re-init). */
  ensure(generation: number): void {
    if (this.generation !== generation) {
      // After a re-init every handle this thread held is meaningless (and may be reused by the
      // module for another thread's session): forget them, never close them.
      this.session = undefined;
      this.slot = undefined;
      this.keyHandles.clear();
      this.generation = generation;
    }
    if (this.session) return;
    const lib = this.load();
    this.slot = this.findSlot(lib);
    try {
      this.mechanisms = new Set(lib.C_GetMechanismList(this.slot));
    } catch (err) {
      throw classify(err, 'C_GetMechanismList');
    }
    let session: Handle;
    try {
      session = lib.C_OpenSession(this.slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    } catch (err) {
      throw classify(err, 'C_OpenSession');
    }
    if (this.config.pin === undefined) throw new TokenFailure('pin_missing', 'no PIN configured for the token (pin_env or pin_file)');
    try {
      lib.C_Login(session, pkcs11js.CKU_USER, this.config.pin);
    } catch (err) {
      if (rv(err) !== 'CKR_USER_ALREADY_LOGGED_IN') {
        try {
          lib.C_CloseSession(session);
        } catch {
          // the session is useless either way
        }
        throw classify(err, `C_Login to token ${this.describeToken()}`);
      }
    }
    this.session = session;
  }

  /**
   * Coordinated re-initialisation (the pool guarantees no other thread is inside the module):
   * C_Finalize then C_Initialize, which is the only cure for a module whose device went away.
   */
  reinit(generation: number): void {
    const lib = this.load();
    try {
      lib.C_Finalize();
    } catch {
      // not initialised, or already broken: C_Initialize below decides
    }
    this.initialize(lib);
    this.generation = -1;
    this.ensure(generation);
  }

  /** Token presence and login state, for health (cheap: token info and session info). */
  health(generation: number): { tokenPresent: boolean; loggedIn: boolean } {
    this.ensure(generation);
    const lib = this.load();
    try {
      const info = lib.C_GetSessionInfo(this.session!);
      return { tokenPresent: true, loggedIn: info.state === CKS_RO_USER_FUNCTIONS || info.state === CKS_RW_USER_FUNCTIONS };
    } catch (err) {
      this.dropSessionOn(err);
      throw classify(err, 'C_GetSessionInfo');
    }
  }

  /** Every private key on the token, with its public half and certificate when present. */
  async list(generation: number): Promise<KeyInfo[]> {
    return this.withSession(generation, 'list keys', async () => {
      const privates = this.find([{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }]);
      const out: KeyInfo[] = [];
      for (const handle of privates) {
        const info = this.describe(handle);
        if (info) out.push(info);
      }
      return out;
    });
  }

  /** Signs `data` (the content, not a digest) with the key whose CKA_ID / label is given. */
  sign(generation: number, key: { id: string; label: string }, scheme: SchemeName, data: Uint8Array): Buffer {
    const spec = schemes[scheme];
    const lib = this.load();
    // Build mechanism and input once; a session error gets one retry on a fresh session.
    let mechanism: pkcs11js.Mechanism;
    let input: Buffer;
    switch (spec.family) {
      case 'ecdsa':
        mechanism = { mechanism: pkcs11js.CKM_ECDSA };
        input = digest(spec.hash!, data);
        break;
      case 'rsa_pss': {
        const hash = spec.hash!;
        const ckm = { sha256: pkcs11js.CKM_SHA256, sha384: pkcs11js.CKM_SHA384, sha512: pkcs11js.CKM_SHA512 }[hash];
        const mgf = { sha256: pkcs11js.CKG_MGF1_SHA256, sha384: pkcs11js.CKG_MGF1_SHA384, sha512: pkcs11js.CKG_MGF1_SHA512 }[hash];
        // RFC 8446 §4.2.3: MGF1 with the same hash, salt length = hash length.
        mechanism = { mechanism: pkcs11js.CKM_RSA_PKCS_PSS, parameter: { type: pkcs11js.CK_PARAMS_RSA_PSS, hashAlg: ckm, mgf, saltLen: hashLength[hash] } as pkcs11js.RsaPSS };
        input = digest(hash, data);
        break;
      }
      case 'rsa_pkcs1':
        mechanism = { mechanism: pkcs11js.CKM_RSA_PKCS };
        input = digestInfo(spec.hash!, digest(spec.hash!, data));
        break;
      case 'eddsa':
        mechanism = { mechanism: CKM_EDDSA };
        input = Buffer.from(data);
        break;
    }
    for (let attempt = 0; ; attempt++) {
      this.ensure(generation);
      const handle = this.privateKeyHandle(key);
      try {
        lib.C_SignInit(this.session!, mechanism, handle);
        const out = lib.C_Sign(this.session!, input, Buffer.alloc(1024));
        return spec.family === 'ecdsa' ? ecdsaRawToDer(out) : Buffer.from(out);
      } catch (err) {
        if (attempt === 0 && this.dropSessionOn(err)) continue;
        throw classify(err, `C_Sign with key ${JSON.stringify(key.label)} (${scheme})`);
      }
    }
  }

  /** Generates a key pair inside the token (CKA_SENSITIVE, not extractable): the private key never leaves it. */
  async generate(generation: number, label: string, type: GenerateType, idHex?: string): Promise<KeyInfo> {
    return this.withSession(generation, 'generate key', async () => {
      if (this.find([{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }, { type: pkcs11js.CKA_LABEL, value: label }]).length > 0) {
        throw new TokenFailure('bad_request', `token ${this.describeToken()} already has a private key labelled ${JSON.stringify(label)}`);
      }
      const id = idHex ? Buffer.from(idHex, 'hex') : randomBytes(8);
      const common = [
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_LABEL, value: label },
        { type: pkcs11js.CKA_ID, value: id },
      ];
      const publicTemplate: pkcs11js.Template = [...common, { type: pkcs11js.CKA_VERIFY, value: true }];
      const privateTemplate: pkcs11js.Template = [
        ...common,
        { type: pkcs11js.CKA_PRIVATE, value: true },
        { type: pkcs11js.CKA_SIGN, value: true },
        { type: pkcs11js.CKA_SENSITIVE, value: true },
        { type: pkcs11js.CKA_EXTRACTABLE, value: false },
      ];
      let mechanism: number;
      if (type === 'ec-p256' || type === 'ec-p384') {
        mechanism = pkcs11js.CKM_EC_KEY_PAIR_GEN;
        publicTemplate.push({ type: pkcs11js.CKA_EC_PARAMS, value: ecParams[type === 'ec-p256' ? 'P-256' : 'P-384'] });
      } else if (type === 'ed25519') {
        mechanism = CKM_EC_EDWARDS_KEY_PAIR_GEN;
        publicTemplate.push({ type: pkcs11js.CKA_EC_PARAMS, value: ed25519NameParams });
      } else {
        mechanism = pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN;
        publicTemplate.push({ type: pkcs11js.CKA_MODULUS_BITS, value: type === 'rsa3072' ? 3072 : 2048 }, { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) });
      }
      let pair: pkcs11js.KeyPair;
      try {
        pair = this.load().C_GenerateKeyPair(this.session!, { mechanism }, publicTemplate, privateTemplate);
      } catch (err) {
        throw classify(err, `C_GenerateKeyPair (${type})`);
      }
      const info = this.describe(pair.privateKey);
      if (!info) throw new TokenFailure('internal', 'generated key has an algorithm tlsedge does not sign with');
      return info;
    });
  }

  /**
   * Imports a private key (PKCS#8 DER) with its public key and optional certificate. Tokens that
   * refuse C_CreateObject for private keys (tpm2-pkcs11 does) answer `bad_request`.
   */
  async importKey(generation: number, label: string, pkcs8: Buffer, certificate: Buffer | undefined, idHex?: string): Promise<KeyInfo> {
    return this.withSession(generation, 'import key', async () => {
      const key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
      const jwk = key.export({ format: 'jwk' });
      const id = idHex ? Buffer.from(idHex, 'hex') : randomBytes(8);
      const b = (v: string | undefined) => Buffer.from(v ?? '', 'base64url');
      const common = [
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_LABEL, value: label },
        { type: pkcs11js.CKA_ID, value: id },
      ];
      let priv: pkcs11js.Template;
      let pub: pkcs11js.Template;
      if (jwk.kty === 'RSA') {
        priv = [
          { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }, { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_RSA }, ...common,
          { type: pkcs11js.CKA_PRIVATE, value: true }, { type: pkcs11js.CKA_SIGN, value: true }, { type: pkcs11js.CKA_SENSITIVE, value: true }, { type: pkcs11js.CKA_EXTRACTABLE, value: false },
          { type: pkcs11js.CKA_MODULUS, value: b(jwk.n) }, { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: b(jwk.e) }, { type: pkcs11js.CKA_PRIVATE_EXPONENT, value: b(jwk.d) },
          { type: pkcs11js.CKA_PRIME_1, value: b(jwk.p) }, { type: pkcs11js.CKA_PRIME_2, value: b(jwk.q) }, { type: pkcs11js.CKA_EXPONENT_1, value: b(jwk.dp) },
          { type: pkcs11js.CKA_EXPONENT_2, value: b(jwk.dq) }, { type: pkcs11js.CKA_COEFFICIENT, value: b(jwk.qi) },
        ];
        pub = [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY }, { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_RSA }, ...common, { type: pkcs11js.CKA_VERIFY, value: true }, { type: pkcs11js.CKA_MODULUS, value: b(jwk.n) }, { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: b(jwk.e) }];
      } else if (jwk.kty === 'EC' && (jwk.crv === 'P-256' || jwk.crv === 'P-384')) {
        const params = ecParams[jwk.crv];
        priv = [
          { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }, { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_EC }, ...common,
          { type: pkcs11js.CKA_PRIVATE, value: true }, { type: pkcs11js.CKA_SIGN, value: true }, { type: pkcs11js.CKA_SENSITIVE, value: true }, { type: pkcs11js.CKA_EXTRACTABLE, value: false },
          { type: pkcs11js.CKA_EC_PARAMS, value: params }, { type: pkcs11js.CKA_VALUE, value: b(jwk.d) },
        ];
        const point = Buffer.concat([Buffer.from([4]), b(jwk.x), b(jwk.y)]);
        pub = [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY }, { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_EC }, ...common, { type: pkcs11js.CKA_VERIFY, value: true }, { type: pkcs11js.CKA_EC_PARAMS, value: params }, { type: pkcs11js.CKA_EC_POINT, value: octetString(point) }];
      } else {
        throw new TokenFailure('unsupported_scheme', `cannot import a ${jwk.kty} ${jwk.crv ?? ''} key into a token`);
      }
      const lib = this.load();
      let handle: Handle;
      try {
        handle = lib.C_CreateObject(this.session!, priv);
        lib.C_CreateObject(this.session!, pub);
      } catch (err) {
        throw classify(err, 'C_CreateObject (private key)');
      }
      if (certificate) this.createCertificate(label, id, certificate);
      const info = this.describe(handle);
      if (!info) throw new TokenFailure('internal', 'imported key has an algorithm tlsedge does not sign with');
      return info;
    });
  }

  /** Stores a certificate next to a key (same CKA_ID and label), replacing an older one. */
  async storeCertificate(generation: number, key: { id: string; label: string }, certificate: Buffer): Promise<void> {
    await this.withSession(generation, 'store certificate', async () => {
      const lib = this.load();
      for (const old of this.find([{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE }, { type: pkcs11js.CKA_ID, value: Buffer.from(key.id, 'hex') }])) {
        try {
          lib.C_DestroyObject(this.session!, old);
        } catch (err) {
          throw classify(err, 'C_DestroyObject (old certificate)');
        }
      }
      this.createCertificate(key.label, Buffer.from(key.id, 'hex'), certificate);
    });
  }

  private createCertificate(label: string, id: Buffer, der: Buffer): void {
    const { subjectOf } = certificateFields;
    try {
      this.load().C_CreateObject(this.session!, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE },
        { type: pkcs11js.CKA_CERTIFICATE_TYPE, value: pkcs11js.CKC_X_509 },
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_PRIVATE, value: false },
        { type: pkcs11js.CKA_LABEL, value: label },
        { type: pkcs11js.CKA_ID, value: id },
        { type: pkcs11js.CKA_SUBJECT, value: subjectOf(der) },
        { type: pkcs11js.CKA_VALUE, value: der },
      ]);
    } catch (err) {
      throw classify(err, 'C_CreateObject (certificate)');
    }
  }

  // ---- internals ----

  private load(): pkcs11js.PKCS11 {
    if (this.lib) return this.lib;
    const lib = new pkcs11js.PKCS11();
    try {
      lib.load(this.config.module);
    } catch (err) {
      throw new TokenFailure('module_error', `cannot load PKCS#11 module ${this.config.module}: ${(err as Error).message}`);
    }
    this.initialize(lib);
    this.lib = lib;
    return lib;
  }

  private initialize(lib: pkcs11js.PKCS11): void {
    try {
      // CKF_OS_LOCKING_OK: several threads call the module (PKCS#11 §5.4: with NULL args a
      // module may assume a single thread).
      lib.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
    } catch (err) {
      // A failing C_Initialize is often a device that is not there yet (tpm2-pkcs11 talks to the
      // TPM here): retryable, unlike a module that cannot be loaded at all.
      if (rv(err) !== 'CKR_CRYPTOKI_ALREADY_INITIALIZED') throw new TokenFailure('token_error', `C_Initialize of ${this.config.module}: ${rv(err) || (err as Error).message}`, true);
    }
  }

  private describeToken(): string {
    return this.config.token !== undefined ? JSON.stringify(this.config.token) : `in slot ${this.config.slot ?? '?'}`;
  }

  private findSlot(lib: pkcs11js.PKCS11): Handle {
    let slots: Handle[];
    try {
      slots = lib.C_GetSlotList(true);
    } catch (err) {
      throw classify(err, 'C_GetSlotList');
    }
    for (const slot of slots) {
      if (this.config.token === undefined) {
        if (this.config.slot !== undefined && ulong(slot) === this.config.slot) return slot;
        continue;
      }
      try {
        if (lib.C_GetTokenInfo(slot).label.trimEnd() === this.config.token) return slot;
      } catch {
        // a slot that lost its token between the two calls
      }
    }
    throw new TokenFailure('token_absent', `no token ${this.describeToken()} in module ${this.config.module}`);
  }

  /** Runs `fn` on a session; a session-level error gets one retry on a fresh one. */
  private async withSession<T>(generation: number, what: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      this.ensure(generation);
      try {
        return await fn();
      } catch (err) {
        if (err instanceof TokenFailure) throw err;
        if (attempt === 0 && this.dropSessionOn(err)) continue;
        throw classify(err, what);
      }
    }
  }

  /** Forgets the session and cached handles when `err` says they are stale; true if it did. */
  private dropSessionOn(err: unknown): boolean {
    if (!sessionErrors.has(rv(err))) return false;
    if (this.session) {
      try {
        this.lib?.C_CloseSession(this.session);
      } catch {
        // already gone
      }
    }
    this.session = undefined;
    this.keyHandles.clear();
    return true;
  }

  private find(template: pkcs11js.Template): Handle[] {
    const lib = this.load();
    lib.C_FindObjectsInit(this.session!, template);
    try {
      const out: Handle[] = [];
      for (;;) {
        const batch = lib.C_FindObjects(this.session!, 64);
        out.push(...batch);
        if (batch.length < 64) return out;
      }
    } finally {
      lib.C_FindObjectsFinal(this.session!);
    }
  }

  private privateKeyHandle(key: { id: string; label: string }): Handle {
    const cached = this.keyHandles.get(key.id);
    if (cached) return cached;
    const template: pkcs11js.Template = [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }];
    // Keys listed without a CKA_ID carry a derived id: find those by label.
    if (key.id.startsWith('label:')) template.push({ type: pkcs11js.CKA_LABEL, value: key.label });
    else template.push({ type: pkcs11js.CKA_ID, value: Buffer.from(key.id, 'hex') });
    let found: Handle[];
    try {
      found = this.find(template);
    } catch (err) {
      throw classify(err, 'C_FindObjects');
    }
    if (found.length === 0) throw new TokenFailure('key_not_found', `no private key ${JSON.stringify(key.label)} (id ${key.id}) on token ${this.describeToken()}`);
    this.keyHandles.set(key.id, found[0]!);
    return found[0]!;
  }

  private attr(handle: Handle, type: number): Buffer | undefined {
    try {
      const [a] = this.load().C_GetAttributeValue(this.session!, handle, [{ type }]);
      return a?.value as Buffer | undefined;
    } catch {
      return undefined; // sensitive or not present on this object
    }
  }

  private describe(handle: Handle): KeyInfo | undefined {
    const idBytes = this.attr(handle, pkcs11js.CKA_ID) ?? Buffer.alloc(0);
    const label = this.attr(handle, pkcs11js.CKA_LABEL)?.toString('utf8') ?? '';
    const keyType = ulong(this.attr(handle, pkcs11js.CKA_KEY_TYPE));
    const byId = idBytes.length > 0 ? [{ type: pkcs11js.CKA_ID, value: idBytes }] : [{ type: pkcs11js.CKA_LABEL, value: label }];
    let spki: Buffer | undefined;
    const pub = this.find([{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY }, ...byId])[0];
    const source = pub ?? handle;
    if (keyType === pkcs11js.CKK_RSA) {
      const n = this.attr(source, pkcs11js.CKA_MODULUS);
      const e = this.attr(source, pkcs11js.CKA_PUBLIC_EXPONENT);
      if (n && e) spki = spkiFromRsa(n, e);
    } else if (keyType === pkcs11js.CKK_EC || keyType === CKK_EC_EDWARDS) {
      const params = this.attr(source, pkcs11js.CKA_EC_PARAMS);
      const point = pub ? this.attr(pub, pkcs11js.CKA_EC_POINT) : undefined;
      if (params && point) spki = spkiFromEc(params, point);
    }
    const certHandle = this.find([{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE }, ...byId])[0];
    const certificate = certHandle ? this.attr(certHandle, pkcs11js.CKA_VALUE) : undefined;
    if (!spki && certificate) spki = spkiFromCertificate(certificate);
    if (!spki) return undefined;
    const algorithm: KeyAlgorithm | undefined = keyAlgorithmOf(createPublicKey({ key: spki, format: 'der', type: 'spki' }));
    if (!algorithm) return undefined;
    const schemesHere = schemesForAlgorithm(algorithm).filter((s) => {
      const family = schemes[s].family;
      if (family === 'ecdsa') return this.mechanisms.has(pkcs11js.CKM_ECDSA);
      if (family === 'rsa_pss') return this.mechanisms.has(pkcs11js.CKM_RSA_PKCS_PSS);
      if (family === 'rsa_pkcs1') return this.mechanisms.has(pkcs11js.CKM_RSA_PKCS);
      return this.mechanisms.has(CKM_EDDSA);
    });
    const info: KeyInfo = {
      id: idBytes.length > 0 ? idBytes.toString('hex') : `label:${label}`,
      label,
      algorithm,
      schemes: schemesHere,
      spki,
      facts: {
        local: bool(this.attr(handle, pkcs11js.CKA_LOCAL)),
        neverExtractable: bool(this.attr(handle, pkcs11js.CKA_NEVER_EXTRACTABLE)),
        sensitive: bool(this.attr(handle, pkcs11js.CKA_SENSITIVE)),
        extractable: bool(this.attr(handle, pkcs11js.CKA_EXTRACTABLE)),
      },
    };
    if (certificate) info.certificate = certificate;
    return info;
  }
}

/** The DER subject Name of a certificate (CKA_SUBJECT must hold it): RFC 5280 §4.1. */
const certificateFields = {
  subjectOf(der: Buffer): Buffer {
    const tbs = (parseDer(der).value as Asn1[])[0]!;
    const fields = tbs.value as Asn1[];
    // [0] version is optional; subject follows serial, signature, issuer, validity.
    const offset = fields[0]!.tagClass === forgeContextClass ? 1 : 0;
    return encodeDer(fields[offset + 4]!);
  },
};
