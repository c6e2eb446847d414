// A minimal, scriptable TLS 1.3 client for engine tests: builds ClientHellos (with real key shares,
// PSKs and binders), reads the server's records, and can send wrong things on purpose.
import { NodeCryptoProvider } from '../../../../adapters/tls/crypto/node-provider.js';
import { constantTimeEqual, concatBytes } from '../../../../adapters/tls/engine/bytes.js';
import { EarlySecret, finishedVerifyData, nextTrafficSecret, ticketPsk, trafficKeys, type HandshakeSecret, type MasterSecret } from '../../../../adapters/tls/engine/key-schedule.js';
import { decodeCertificate } from '../../../../adapters/tls/engine/messages/certificate.js';
import { decodeCertificateRequest } from '../../../../adapters/tls/engine/messages/certificate-request.js';
import { certificateVerifyContent, decodeCertificateVerify, encodeCertificateVerify } from '../../../../adapters/tls/engine/messages/certificate-verify.js';
import { decodeEncryptedExtensions } from '../../../../adapters/tls/engine/messages/encrypted-extensions.js';
import { decodeFinished, encodeFinished } from '../../../../adapters/tls/engine/messages/finished.js';
import { encodeKeyUpdate } from '../../../../adapters/tls/engine/messages/key-update.js';
import { decodeNewSessionTicket, type NewSessionTicket } from '../../../../adapters/tls/engine/messages/new-session-ticket.js';
import { decodeServerHello, type ServerHello } from '../../../../adapters/tls/engine/messages/server-hello.js';
import { encodeCertificate } from '../../../../adapters/tls/engine/messages/certificate.js';
import type { KeyShare } from '../../../../adapters/tls/engine/provider.js';
import { RecordDeframer } from '../../../../adapters/tls/engine/record/deframer.js';
import { HandshakeJoiner } from '../../../../adapters/tls/engine/record/joiner.js';
import { RecordProtector, RecordUnprotector } from '../../../../adapters/tls/engine/record/protection.js';
import { plaintextRecords } from '../../../../adapters/tls/engine/record/fragmenter.js';
import { suiteByCode, type Tls13Suite } from '../../../../adapters/tls/engine/suites.js';
import { Transcript } from '../../../../adapters/tls/engine/transcript.js';
import { encodeClientHello } from '../../../../adapters/tls/wire/client-hello.js';
import { ContentType, ExtensionType, HandshakeType, NamedGroup, SignatureScheme } from '../../../../adapters/tls/wire/enums.js';
import { encodeAlpnClient, decodeAlpnServer } from '../../../../adapters/tls/wire/extensions/alpn.js';
import { decodeCookie, encodeCookie } from '../../../../adapters/tls/wire/extensions/cookie.js';
import { decodeKeyShareHelloRetry, decodeKeyShareServer, encodeKeyShareClient } from '../../../../adapters/tls/wire/extensions/key-share.js';
import { findExtension } from '../../../../adapters/tls/wire/extensions/list.js';
import { bindersLength, encodeOfferedPsks } from '../../../../adapters/tls/wire/extensions/pre-shared-key.js';
import { encodePskKeyExchangeModes } from '../../../../adapters/tls/wire/extensions/psk-key-exchange-modes.js';
import { encodeRecordSizeLimit } from '../../../../adapters/tls/wire/extensions/record-size-limit.js';
import { encodeServerNameClient } from '../../../../adapters/tls/wire/extensions/server-name.js';
import { encodeSignatureAlgorithms } from '../../../../adapters/tls/wire/extensions/signature-algorithms.js';
import { encodeSupportedGroups } from '../../../../adapters/tls/wire/extensions/supported-groups.js';
import { encodeSupportedVersionsClient } from '../../../../adapters/tls/wire/extensions/supported-versions.js';
import type { KeyObject } from 'node:crypto';
import { signNow } from './engine-driver.js';

const p = new NodeCryptoProvider();

export interface ClientTicket {
  readonly ticket: Uint8Array;
  readonly psk: Uint8Array;
  readonly suite: Tls13Suite;
  readonly ageAdd: number;
  readonly receivedAtMs: number;
}

export interface TestClientOptions {
  serverName?: string;
  alpn?: string[];
  suites?: number[];
  /** supported_groups. */
  groups?: number[];
  /** Groups to send key shares for (default: the first group). */
  shareGroups?: number[];
  signatureAlgorithms?: number[];
  sessionId?: Uint8Array;
  resume?: ClientTicket[];
  /** Corrupt the binder of this identity index. */
  badBinder?: number;
  earlyData?: boolean;
  recordSizeLimit?: number;
  clientCertificate?: { chain: Uint8Array[]; key: KeyObject; scheme: number };
  omitSupportedVersions?: boolean;
  extraExtensions?: Array<{ type: number; data: Uint8Array }>;
}

export interface ServerFlight {
  serverHello?: ServerHello;
  helloRetry?: ServerHello;
  extensions?: ReturnType<typeof decodeEncryptedExtensions>;
  certificateChain?: Uint8Array[];
  certificateVerify?: { scheme: number; signature: Uint8Array; valid: boolean };
  certificateRequested: boolean;
  finishedValid?: boolean;
  tickets: NewSessionTicket[];
  appData: Uint8Array[];
  alerts: Array<{ level: number; description: number }>;
  ccs: number;
  keyUpdates: number;
}

export class TestClient {
  readonly opts: TestClientOptions;
  private shares = new Map<number, KeyShare>();
  private transcript: Transcript | undefined;
  private firstHello: Uint8Array | undefined;
  suite: Tls13Suite | undefined;
  private handshakeSecret: HandshakeSecret | undefined;
  private master: MasterSecret | undefined;
  private chs: Uint8Array | undefined;
  private shs: Uint8Array | undefined;
  cats: Uint8Array | undefined;
  sats: Uint8Array | undefined;
  private rms: Uint8Array | undefined;
  private reader: RecordUnprotector | undefined;
  private writer: RecordProtector | undefined;
  private readonly deframer = new RecordDeframer(1 << 30);
  private readonly joiner = new HandshakeJoiner(1 << 20);
  private cookie: Uint8Array | undefined;
  private lastHello: Uint8Array | undefined;
  readonly flight: ServerFlight = { certificateRequested: false, tickets: [], appData: [], alerts: [], ccs: 0, keyUpdates: 0 };
  /** Set when the server's Finished has been read (its flight is complete). */
  serverFinished = false;
  earlyWriter: RecordProtector | undefined;

  constructor(opts: TestClientOptions = {}) {
    this.opts = opts;
  }

  /** The ClientHello message (first or, after a HelloRetryRequest, second). */
  hello(): Uint8Array {
    const o = this.opts;
    const groups = o.groups ?? [NamedGroup.x25519];
    const retryGroup = this.flight.helloRetry ? decodeKeyShareHelloRetry(findExtension(this.flight.helloRetry.extensions, ExtensionType.key_share)!.data) : undefined;
    const shareGroups = retryGroup !== undefined ? [retryGroup] : (o.shareGroups ?? groups.slice(0, 1));
    const shares = shareGroups.map((g) => {
      const share = p.generateKeyShare(g);
      this.shares.set(g, share);
      return { group: g, keyExchange: share.publicKey };
    });
    const ext: Array<{ type: number; data: Uint8Array }> = [];
    if (o.serverName) ext.push({ type: ExtensionType.server_name, data: encodeServerNameClient(o.serverName) });
    if (o.alpn) ext.push({ type: ExtensionType.application_layer_protocol_negotiation, data: encodeAlpnClient(o.alpn) });
    if (!o.omitSupportedVersions) ext.push({ type: ExtensionType.supported_versions, data: encodeSupportedVersionsClient([0x0304]) });
    ext.push({ type: ExtensionType.supported_groups, data: encodeSupportedGroups(groups) });
    ext.push({ type: ExtensionType.key_share, data: encodeKeyShareClient(shares) });
    ext.push({
      type: ExtensionType.signature_algorithms,
      data: encodeSignatureAlgorithms(o.signatureAlgorithms ?? [SignatureScheme.ecdsa_secp256r1_sha256, SignatureScheme.ecdsa_secp384r1_sha384, SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.ed25519]),
    });
    if (o.recordSizeLimit) ext.push({ type: ExtensionType.record_size_limit, data: encodeRecordSizeLimit(o.recordSizeLimit) });
    if (this.cookie) ext.push({ type: ExtensionType.cookie, data: encodeCookie(this.cookie) });
    if (o.extraExtensions) ext.push(...o.extraExtensions);
    if (o.earlyData && !this.flight.helloRetry) ext.push({ type: ExtensionType.early_data, data: new Uint8Array(0) });
    const tickets = o.resume ?? [];
    if (tickets.length) {
      ext.push({ type: ExtensionType.psk_key_exchange_modes, data: encodePskKeyExchangeModes([1]) });
    } else {
      ext.push({ type: ExtensionType.psk_key_exchange_modes, data: encodePskKeyExchangeModes([1]) });
    }
    const fields = {
      random: new Uint8Array(p.random(32, 'server_random')),
      legacySessionId: o.sessionId ?? new Uint8Array(0),
      cipherSuites: o.suites ?? [0x1301, 0x1302, 0x1303],
    };
    let message: Uint8Array;
    if (tickets.length) {
      const now = Date.now();
      const identities = tickets.map((t) => ({ identity: t.ticket, obfuscatedTicketAge: ((now - t.receivedAtMs + t.ageAdd) >>> 0) }));
      const hashLengths = tickets.map((t) => t.suite.hashLength);
      // Build with zero binders, then compute the real ones over the truncated hello (RFC 8446 §4.2.11.2).
      const placeholder = encodeClientHello({ ...fields, extensions: [...ext, { type: ExtensionType.pre_shared_key, data: encodeOfferedPsks(identities, hashLengths.map((n) => new Uint8Array(n))) }] });
      const truncated = placeholder.subarray(0, placeholder.length - bindersLength(hashLengths));
      const binders = tickets.map((t, i) => {
        const binderKey = EarlySecret.create(p, t.suite, t.psk).binderKey('resumption');
        const base = this.flight.helloRetry ? this.transcript!.hashWith(truncated) : p.hash(t.suite.hash, truncated);
        const b = finishedVerifyData(p, t.suite, binderKey, base);
        if (this.opts.badBinder === i) b[0]! ^= 1;
        return b;
      });
      message = encodeClientHello({ ...fields, extensions: [...ext, { type: ExtensionType.pre_shared_key, data: encodeOfferedPsks(identities, binders) }] });
    } else {
      message = encodeClientHello({ ...fields, extensions: ext });
    }
    if (!this.firstHello) this.firstHello = message;
    this.lastHello = message;
    if (o.earlyData && tickets.length && !this.flight.helloRetry) {
      const t = tickets[0]!;
      const early = EarlySecret.create(p, t.suite, t.psk);
      const cets = early.clientEarlyTrafficSecret(p.hash(t.suite.hash, message));
      const k = trafficKeys(p, t.suite, cets);
      this.earlyWriter = new RecordProtector(p.aead(t.suite.aead, k.key), k.iv);
    }
    return message;
  }

  helloRecords(fragment = 16384): Uint8Array {
    return concatBytes(plaintextRecords(ContentType.handshake, this.hello(), fragment));
  }

  /** 0-RTT application data under the early traffic key (which the engine must skip). */
  earlyData(data: Uint8Array): Uint8Array {
    return this.earlyWriter!.protect(ContentType.application_data, data);
  }

  /** Reads server bytes; throws on anything a real client would reject. */
  receive(bytes: Uint8Array): void {
    this.deframer.push(bytes);
    for (;;) {
      const rec = this.deframer.next();
      if (!rec) return;
      if (rec.type === ContentType.change_cipher_spec) {
        this.flight.ccs++;
        continue;
      }
      if (rec.type === ContentType.alert && !this.reader) {
        this.flight.alerts.push({ level: rec.fragment[0]!, description: rec.fragment[1]! });
        continue;
      }
      if (rec.type === ContentType.handshake) {
        this.joiner.push(rec.fragment);
      } else {
        const opened = this.reader!.unprotect(rec.header, rec.fragment);
        if (!opened) throw new Error('client: server record does not authenticate');
        if (opened.type === ContentType.alert) {
          this.flight.alerts.push({ level: opened.content[0]!, description: opened.content[1]! });
          continue;
        }
        if (opened.type === ContentType.application_data) {
          this.flight.appData.push(opened.content);
          continue;
        }
        this.joiner.push(opened.content);
      }
      for (let m = this.joiner.next(); m; m = this.joiner.next()) this.onMessage(m);
    }
  }

  private onMessage(raw: Uint8Array): void {
    switch (raw[0]) {
      case HandshakeType.server_hello: {
        const sh = decodeServerHello(raw);
        this.suite = suiteByCode(sh.cipherSuite);
        if (sh.isHelloRetryRequest) {
          this.flight.helloRetry = sh;
          const cookie = findExtension(sh.extensions, ExtensionType.cookie);
          this.cookie = cookie ? decodeCookie(cookie.data) : undefined;
          this.transcript = Transcript.afterHelloRetry(p, this.suite!.hash, this.firstHello!).add(raw);
          return;
        }
        this.flight.serverHello = sh;
        const ks = decodeKeyShareServer(findExtension(sh.extensions, ExtensionType.key_share)!.data);
        const shared = this.shares.get(ks.group)!.agree(ks.keyExchange)!;
        const pskExt = findExtension(sh.extensions, ExtensionType.pre_shared_key);
        const ticket = pskExt ? this.opts.resume![(pskExt.data[0]! << 8) | pskExt.data[1]!] : undefined;
        this.transcript ??= Transcript.start(p, this.suite!.hash);
        this.transcript.add(this.lastHello!).add(raw);
        this.handshakeSecret = EarlySecret.create(p, this.suite!, ticket?.psk).intoHandshake(shared);
        const th = this.transcript.current();
        this.chs = this.handshakeSecret.clientHandshakeTrafficSecret(th);
        this.shs = this.handshakeSecret.serverHandshakeTrafficSecret(th);
        this.reader = unprotector(this.suite!, this.shs);
        return;
      }
      case HandshakeType.encrypted_extensions:
        this.flight.extensions = decodeEncryptedExtensions(raw);
        this.transcript!.add(raw);
        return;
      case HandshakeType.certificate_request:
        decodeCertificateRequest(raw);
        this.flight.certificateRequested = true;
        this.transcript!.add(raw);
        return;
      case HandshakeType.certificate:
        this.flight.certificateChain = decodeCertificate(raw).entries.map((e) => e.certData);
        this.transcript!.add(raw);
        return;
      case HandshakeType.certificate_verify: {
        const cv = decodeCertificateVerify(raw);
        const content = certificateVerifyContent('server', this.transcript!.current());
        const valid = p.verifySignature(cv.scheme, this.flight.certificateChain![0]!, content, cv.signature);
        this.flight.certificateVerify = { scheme: cv.scheme, signature: cv.signature, valid };
        this.transcript!.add(raw);
        return;
      }
      case HandshakeType.finished: {
        const expected = finishedVerifyData(p, this.suite!, this.shs!, this.transcript!.current());
        this.flight.finishedValid = constantTimeEqual(decodeFinished(raw, this.suite!.hashLength), expected);
        this.transcript!.add(raw);
        this.master = this.handshakeSecret!.intoMaster();
        const th = this.transcript!.current();
        this.cats = this.master.clientApplicationTrafficSecret(th);
        this.sats = this.master.serverApplicationTrafficSecret(th);
        this.reader = unprotector(this.suite!, this.sats);
        this.serverFinished = true;
        return;
      }
      case HandshakeType.new_session_ticket:
        this.flight.tickets.push(decodeNewSessionTicket(raw));
        return;
      case HandshakeType.key_update:
        this.flight.keyUpdates++;
        this.sats = nextTrafficSecret(p, this.suite!, this.sats!);
        this.reader = unprotector(this.suite!, this.sats);
        return;
      default:
        throw new Error(`client: unexpected handshake message ${raw[0]}`);
    }
  }

  /** The client's second flight: [Certificate, CertificateVerify,] Finished, under handshake keys. */
  finish(options: { corruptFinished?: boolean; skipCertificate?: boolean } = {}): Uint8Array {
    const hsWriter = protectorFor(this.suite!, this.chs!);
    const messages: Uint8Array[] = [];
    if (this.flight.certificateRequested && !options.skipCertificate) {
      const cc = this.opts.clientCertificate;
      const cert = encodeCertificate(new Uint8Array(0), cc ? cc.chain : []);
      this.transcript!.add(cert);
      messages.push(cert);
      if (cc) {
        const content = certificateVerifyContent('client', this.transcript!.current());
        const signature = signNow(cc.key, cc.scheme, content);
        const cv = encodeCertificateVerify(cc.scheme, signature);
        this.transcript!.add(cv);
        messages.push(cv);
      }
    }
    const verifyData = finishedVerifyData(p, this.suite!, this.chs!, this.transcript!.current());
    if (options.corruptFinished) verifyData[0]! ^= 0x80;
    const fin = encodeFinished(verifyData);
    this.transcript!.add(fin);
    messages.push(fin);
    this.rms = this.master!.resumptionMasterSecret(this.transcript!.current());
    const records = messages.map((m) => hsWriter.protect(ContentType.handshake, m));
    this.writer = protectorFor(this.suite!, this.cats!);
    return concatBytes(records);
  }

  /** A record under the client handshake key with any inner type (for malformed-flight tests). */
  handshakeRecord(message: Uint8Array, innerType: number = ContentType.handshake): Uint8Array {
    return protectorFor(this.suite!, this.chs!).protect(innerType, message);
  }

  /** A record under the current application key with any inner type and content (keys unchanged). */
  applicationRecord(innerType: number, content: Uint8Array): Uint8Array {
    return this.writer!.protect(innerType, content);
  }

  send(data: Uint8Array): Uint8Array {
    return this.writer!.protect(ContentType.application_data, data);
  }

  keyUpdate(requestPeer: boolean): Uint8Array {
    const rec = this.writer!.protect(ContentType.handshake, encodeKeyUpdate(requestPeer));
    this.cats = nextTrafficSecret(p, this.suite!, this.cats!);
    this.writer = protectorFor(this.suite!, this.cats);
    return rec;
  }

  closeNotify(): Uint8Array {
    return this.writer!.protect(ContentType.alert, new Uint8Array([1, 0]));
  }

  /** A ticket from the server's NewSessionTickets, usable in `resume`. */
  ticket(index = 0): ClientTicket {
    const nst = this.flight.tickets[index]!;
    return { ticket: nst.ticket, psk: ticketPsk(p, this.suite!, this.rms!, nst.nonce), suite: this.suite!, ageAdd: nst.ageAdd, receivedAtMs: Date.now() };
  }

  negotiatedAlpn(): string | undefined {
    const e = this.flight.extensions && findExtension(this.flight.extensions, ExtensionType.application_layer_protocol_negotiation);
    return e ? decodeAlpnServer(e.data) : undefined;
  }
}

function protectorFor(suite: Tls13Suite, secret: Uint8Array): RecordProtector {
  const k = trafficKeys(p, suite, secret);
  return new RecordProtector(p.aead(suite.aead, k.key), k.iv);
}

function unprotector(suite: Tls13Suite, secret: Uint8Array): RecordUnprotector {
  const k = trafficKeys(p, suite, secret);
  return new RecordUnprotector(p.aead(suite.aead, k.key), k.iv);
}
