// ExpectClientHello (RFC 8446 §4.1.2–§4.1.4): processClientHello, checkForResumption,
// a HelloRetryRequest when no usable key share was sent, then sendServerParameters up to the
// point where the CertificateVerify signature is requested from the host.
import { decodeClientHello, type ClientHello } from '../../wire/client-hello.js';
import { ExtensionType, HandshakeType, ProtocolVersion, PskKeyExchangeMode, SignatureScheme, isGrease, nameOf } from '../../wire/enums.js';
import { TlsError } from '../../wire/errors.js';
import { encodeAlpnServer } from '../../wire/extensions/alpn.js';
import { encodeCertificateAuthorities } from '../../wire/extensions/certificate-authorities.js';
import { encodeCookie } from '../../wire/extensions/cookie.js';
import { encodeKeyShareHelloRetry, encodeKeyShareServer } from '../../wire/extensions/key-share.js';
import { encodeSelectedIdentity } from '../../wire/extensions/pre-shared-key.js';
import { encodeRecordSizeLimit } from '../../wire/extensions/record-size-limit.js';
import { encodeServerNameAck } from '../../wire/extensions/server-name.js';
import { encodeSignatureAlgorithms } from '../../wire/extensions/signature-algorithms.js';
import { encodeSupportedGroups } from '../../wire/extensions/supported-groups.js';
import { encodeSupportedVersionsServer } from '../../wire/extensions/supported-versions.js';
import { constantTimeEqual } from '../bytes.js';
import { EarlySecret } from '../key-schedule.js';
import { encodeCertificateRequest } from '../messages/certificate-request.js';
import { certificateVerifyContent } from '../messages/certificate-verify.js';
import { encodeEncryptedExtensions } from '../messages/encrypted-extensions.js';
import { encodeHelloRetryRequest, encodeServerHello } from '../messages/server-hello.js';
import { CCS_RECORD } from '../record/ccs.js';
import { MAX_PLAINTEXT } from '../record/deframer.js';
import type { Tls13Suite } from '../suites.js';
import { Transcript } from '../transcript.js';
import { serverCertificateMessage } from './certificate-message.js';
import { finishServerFlight } from './server-flight.js';
import { selectAlpn, selectCertificate, selectGroup, selectSuite } from './negotiate.js';
import { CLIENT_SIGNATURE_SCHEMES, type ServerPolicy } from './policy.js';
import { installReader, plaintextHandshake, protector, write, type Out } from './records.js';
import { SESSION_ID_LENGTH, acceptSession, earlyDataBudget, type AcceptedPsk } from './resumption.js';
import type { AwaitingSession, Conn, ExpectClientHello, Negotiated, RetryContext, ServerState } from './state.js';

export function onClientHello(state: ExpectClientHello, raw: Uint8Array, out: Out): ServerState {
  if (raw[0] !== HandshakeType.client_hello) throw new TlsError('unexpected_message', `expected client_hello, got handshake type ${raw[0]}`);
  const conn = state.conn;
  const hello = decodeClientHello(raw);
  // The client sends nothing after its hello until it hears from us (§4.1.2; §5.1 no key change mid-message).
  conn.joiner.requireBoundary('client_hello');
  conn.ccsAllowed = true;
  const retry = state.retry;
  const policy = retry ? retry.policy : choosePolicy(conn, hello);
  checkVersions(hello);
  // §4.1.2: "For every TLS 1.3 ClientHello, this vector MUST contain exactly one byte, set to zero".
  if (hello.compressionMethods.length !== 1 || hello.compressionMethods[0] !== 0) {
    throw new TlsError('illegal_parameter', 'legacy_compression_methods must be exactly [null]');
  }
  checkMandatoryExtensions(hello);
  const suite = selectSuite(policy, hello);
  if (!suite) throw new TlsError('handshake_failure', 'no TLS 1.3 cipher suite in common');
  if (retry) checkSecondHello(retry, hello, suite);
  return checkForResumption(conn, hello, policy, suite, retry, 0, out);
}

function choosePolicy(conn: Conn, hello: ClientHello): ServerPolicy {
  const p = conn.config.policy;
  if (typeof p !== 'function') return p;
  const chosen = p(hello);
  if ('refuse' in chosen) throw new TlsError(chosen.refuse, chosen.reason);
  return chosen;
}

/** §4.2.1: TLS 1.3 only if supported_versions lists it; a 1.2-only client gets protocol_version. */
function checkVersions(hello: ClientHello): void {
  if (!hello.supportedVersions) throw new TlsError('protocol_version', 'client offers no supported_versions: TLS 1.2 or older');
  if (!hello.supportedVersions.includes(ProtocolVersion.TLS1_3)) {
    throw new TlsError('protocol_version', `client versions ${hello.supportedVersions.filter((v) => !isGrease(v)).map((v) => v.toString(16)).join(',')} exclude TLS 1.3`);
  }
}

/** §9.2: what a TLS 1.3 ClientHello must carry. */
function checkMandatoryExtensions(hello: ClientHello): void {
  const hasPsk = hello.preSharedKey !== undefined;
  if (!hasPsk && !hello.signatureAlgorithms) throw new TlsError('missing_extension', 'ClientHello without signature_algorithms');
  if (!hasPsk && (!hello.supportedGroups || !hello.keyShares)) throw new TlsError('missing_extension', 'ClientHello without supported_groups/key_share');
  if ((hello.supportedGroups === undefined) !== (hello.keyShares === undefined)) {
    throw new TlsError('missing_extension', 'supported_groups and key_share must come together');
  }
  // §4.2.9: a client offering a PSK MUST offer psk_key_exchange_modes.
  if (hasPsk && !hello.pskKeyExchangeModes) throw new TlsError('missing_extension', 'pre_shared_key without psk_key_exchange_modes');
}

/** §4.1.2: the second ClientHello may only change what the HelloRetryRequest asked for. */
function checkSecondHello(retry: RetryContext, hello: ClientHello, suite: Tls13Suite): void {
  const first = retry.firstHello;
  if (suite.code !== retry.suite.code) throw new TlsError('illegal_parameter', 'second ClientHello selects another cipher suite');
  if (!hello.cookie || !constantTimeEqual(hello.cookie, retry.cookie)) throw new TlsError('illegal_parameter', 'second ClientHello does not echo our cookie');
  // §4.2.10: "A client MUST NOT include the early_data extension in its followup ClientHello."
  if (hello.earlyData) throw new TlsError('illegal_parameter', 'early_data in the second ClientHello');
  const shares = hello.keyShares ?? [];
  if (shares.length !== 1 || shares[0]!.group !== retry.group) {
    throw new TlsError('illegal_parameter', 'second ClientHello must carry exactly one key share, for the requested group');
  }
  if (hello.serverName !== first.serverName) throw new TlsError('illegal_parameter', 'second ClientHello changes server_name');
  if (!constantTimeEqual(hello.legacySessionId, first.legacySessionId)) throw new TlsError('illegal_parameter', 'second ClientHello changes legacy_session_id');
}

/**
 * §4.2.11: the first offered identity we can open, that is still valid for this name and suite,
 * and whose binder verifies, is used; identities that are not ours are skipped. A session-store
 * identity pauses the handshake for a lookup (`awaiting_session`).
 */
export function checkForResumption(
  conn: Conn,
  hello: ClientHello,
  policy: ServerPolicy,
  suite: Tls13Suite,
  retry: RetryContext | undefined,
  fromIndex: number,
  out: Out,
): ServerState {
  const psk = hello.preSharedKey;
  // Only psk_dhe_ke is supported: PSK-only resumption would give up forward secrecy.
  if (psk && policy.resumption && hello.pskKeyExchangeModes?.includes(PskKeyExchangeMode.psk_dhe_ke)) {
    const last = Math.min(psk.identities.length, conn.config.limits.maxPskIdentities);
    for (let i = fromIndex; i < last; i++) {
      const identity = psk.identities[i]!.identity;
      const port = conn.config.tickets;
      const opened = port?.open(identity);
      if (opened) {
        const accepted = acceptSession(conn, hello, policy, suite, retry, i, opened, 'ticket', port!.keyNameOf(identity) ?? null);
        if (accepted) return continueHandshake(conn, hello, policy, suite, retry, accepted, out);
        continue;
      }
      if (policy.tickets.mode === 'stateful' && identity.length === SESSION_ID_LENGTH) {
        out.push({ type: 'lookup_session', identity: identity.slice(), deadlineMs: conn.config.clock.now() + conn.config.limits.sessionLookupMs });
        const waiting: AwaitingSession = { kind: 'awaiting_session', conn, hello, policy, suite, retry, identityIndex: i };
        return waiting;
      }
    }
  }
  return continueHandshake(conn, hello, policy, suite, retry, undefined, out);
}

/** Answer to a session-store lookup: resume with it, or try the next identity. */
export function onSessionAnswer(state: AwaitingSession, session: Uint8Array | undefined, out: Out): ServerState {
  const { conn, hello, policy, suite, retry, identityIndex } = state;
  if (session) {
    const accepted = acceptSession(conn, hello, policy, suite, retry, identityIndex, session, 'session', null);
    if (accepted) return continueHandshake(conn, hello, policy, suite, retry, accepted, out);
  }
  return checkForResumption(conn, hello, policy, suite, retry, identityIndex + 1, out);
}

function continueHandshake(
  conn: Conn,
  hello: ClientHello,
  policy: ServerPolicy,
  suite: Tls13Suite,
  retry: RetryContext | undefined,
  psk: AcceptedPsk | undefined,
  out: Out,
): ServerState {
  if (!hello.supportedGroups || !hello.keyShares) throw new TlsError('missing_extension', 'psk_dhe_ke needs supported_groups and key_share');
  const choice = selectGroup(policy, hello, conn.config.provider);
  if (choice.kind === 'none') throw new TlsError('handshake_failure', 'no key exchange group in common');
  if (choice.kind === 'retry') {
    // A second ClientHello that still lacks the share was already refused by checkSecondHello.
    if (retry) throw new TlsError('illegal_parameter', 'no usable key share after HelloRetryRequest');
    return sendHelloRetryRequest(conn, hello, policy, suite, choice.group, out);
  }
  let certificate: Negotiated['certificate'];
  let scheme: number | undefined;
  if (!psk) {
    if (!hello.signatureAlgorithms) throw new TlsError('missing_extension', 'ClientHello without signature_algorithms');
    const picked = selectCertificate(policy, hello);
    if (!picked) throw new TlsError('handshake_failure', 'no certificate can sign a scheme the client accepts');
    certificate = picked.certificate;
    scheme = picked.scheme;
  }
  const neg: Negotiated = {
    policy,
    suite,
    group: choice.group,
    alpn: selectAlpn(policy, hello),
    sni: hello.serverName,
    certificate,
    scheme,
    resumed: psk ? { kind: psk.kind, session: psk.session, keyName: psk.keyName } : undefined,
    helloRetry: retry !== undefined,
    earlyDataOffered: hello.earlyData,
    clientCanResume: hello.pskKeyExchangeModes?.includes(PskKeyExchangeMode.psk_dhe_ke) ?? false,
  };
  return sendServerParameters(conn, hello, neg, retry, psk, choice.clientShare, out);
}

function sendHelloRetryRequest(conn: Conn, hello: ClientHello, policy: ServerPolicy, suite: Tls13Suite, group: number, out: Out): ServerState {
  const p = conn.config.provider;
  // The cookie lets a stateless server rebuild its state; we keep state, so it is a random token we check for equality.
  const cookie = p.random(32, 'hrr_cookie');
  const hrr = encodeHelloRetryRequest({
    legacySessionIdEcho: hello.legacySessionId,
    cipherSuite: suite.code,
    extensions: [
      { type: ExtensionType.supported_versions, data: encodeSupportedVersionsServer(ProtocolVersion.TLS1_3) },
      { type: ExtensionType.key_share, data: encodeKeyShareHelloRetry(group) },
      { type: ExtensionType.cookie, data: encodeCookie(cookie) },
    ],
  });
  const transcript = Transcript.afterHelloRetry(p, suite.hash, hello.raw).add(hrr);
  write(out, [...plaintextHandshake(hrr), ...compatibilityCcs(conn, hello)]);
  // §4.2.10: after a HelloRetryRequest, 0-RTT records (outer type application_data) are skipped until the new hello.
  if (hello.earlyData) conn.earlyData = { mode: 'plaintext', budget: earlyDataBudget(policy, undefined), skipped: 0 };
  return { kind: 'expect_client_hello', conn, retry: { policy, suite, group, cookie, transcript, firstHello: hello } };
}

/** §D.4: a dummy change_cipher_spec after our first handshake message when the client is in compatibility mode. */
function compatibilityCcs(conn: Conn, hello: ClientHello): Uint8Array[] {
  if (conn.ccsSent || hello.legacySessionId.length === 0) return [];
  conn.ccsSent = true;
  return [CCS_RECORD];
}

/**
 * ServerHello, handshake keys, EncryptedExtensions, [CertificateRequest, Certificate]. For a full
 * handshake the flight is held back and the signature requested; a resumption finishes at once.
 */
function sendServerParameters(
  conn: Conn,
  hello: ClientHello,
  neg: Negotiated,
  retry: RetryContext | undefined,
  psk: AcceptedPsk | undefined,
  clientShare: Uint8Array,
  out: Out,
): ServerState {
  const p = conn.config.provider;
  const suite = neg.suite;
  const share = p.generateKeyShare(neg.group);
  const shared = share.agree(clientShare);
  if (!shared) throw new TlsError('illegal_parameter', `invalid ${nameOfGroup(neg.group)} key share from the client`);

  const shExtensions: Array<{ type: number; data: Uint8Array }> = [];
  if (psk) shExtensions.push({ type: ExtensionType.pre_shared_key, data: encodeSelectedIdentity(psk.identityIndex) });
  shExtensions.push({ type: ExtensionType.key_share, data: encodeKeyShareServer({ group: neg.group, keyExchange: share.publicKey }) });
  shExtensions.push({ type: ExtensionType.supported_versions, data: encodeSupportedVersionsServer(ProtocolVersion.TLS1_3) });
  const serverHello = encodeServerHello({
    random: p.random(32, 'server_random'),
    legacySessionIdEcho: hello.legacySessionId,
    cipherSuite: suite.code,
    extensions: shExtensions,
  });

  const transcript = retry ? retry.transcript : Transcript.start(p, suite.hash);
  transcript.add(hello.raw).add(serverHello);
  const early = psk?.earlySecret ?? EarlySecret.create(p, suite);
  const handshakeSecret = early.intoHandshake(shared);
  const helloHash = transcript.current();
  const clientHandshakeSecret = handshakeSecret.clientHandshakeTrafficSecret(helloHash);
  const serverHandshakeSecret = handshakeSecret.serverHandshakeTrafficSecret(helloHash);

  // RFC 8449 §4: honour the client's limit on what we send; advertise ours for what we receive.
  if (hello.recordSizeLimit !== undefined) {
    conn.maxSendContent = Math.min(MAX_PLAINTEXT, hello.recordSizeLimit - 1);
    conn.maxReceiveInner = Math.min(MAX_PLAINTEXT + 1, neg.policy.recordSizeLimit);
  }
  installReader(conn, suite, clientHandshakeSecret, 'client_hello');
  // §4.2.10: early data is never accepted; its records fail to decrypt under the handshake key and are skipped.
  if (hello.earlyData) conn.earlyData = { mode: 'trial', budget: earlyDataBudget(neg.policy, psk?.session), skipped: 0 };

  const encryptedExtensions = encodeEncryptedExtensions(encryptedExtensionsFor(conn, hello, neg));
  transcript.add(encryptedExtensions);
  const flight = {
    plaintext: [...plaintextHandshake(serverHello), ...compatibilityCcs(conn, hello)],
    handshake: [encryptedExtensions],
    protector: protector(conn, suite, serverHandshakeSecret),
  };
  const base = { neg, transcript, handshakeSecret, clientHandshakeSecret, serverHandshakeSecret, flight };
  if (psk) return finishServerFlight(conn, { ...base, clientAuthRequested: false }, undefined, out);

  const clientAuthRequested = neg.policy.clientAuth.mode !== 'none';
  if (clientAuthRequested) {
    const request = encodeCertificateRequest(new Uint8Array(0), certificateRequestExtensions(neg.policy));
    transcript.add(request);
    flight.handshake.push(request);
  }
  const certificate = serverCertificateMessage(neg.certificate!.chain);
  transcript.add(certificate);
  flight.handshake.push(certificate);
  const content = certificateVerifyContent('server', transcript.current());
  out.push({ type: 'sign_transcript', keyId: neg.certificate!.key.id, scheme: neg.scheme!, schemeName: nameOf(SignatureScheme, neg.scheme!), content });
  return { kind: 'awaiting_signature', conn, ...base, clientAuthRequested, content };
}

/** In RFC 8448's order: supported_groups, record_size_limit, server_name, then ALPN. */
function encryptedExtensionsFor(conn: Conn, hello: ClientHello, neg: Negotiated): Array<{ type: number; data: Uint8Array }> {
  const ext: Array<{ type: number; data: Uint8Array }> = [];
  if (neg.policy.advertisedGroups) ext.push({ type: ExtensionType.supported_groups, data: encodeSupportedGroups(neg.policy.advertisedGroups) });
  if (hello.recordSizeLimit !== undefined) ext.push({ type: ExtensionType.record_size_limit, data: encodeRecordSizeLimit(conn.maxReceiveInner) });
  // RFC 6066 §3: an empty server_name tells the client its name was used.
  if (hello.serverName !== undefined) ext.push({ type: ExtensionType.server_name, data: encodeServerNameAck() });
  if (neg.alpn !== undefined) ext.push({ type: ExtensionType.application_layer_protocol_negotiation, data: encodeAlpnServer(neg.alpn) });
  return ext;
}

function certificateRequestExtensions(policy: ServerPolicy): Array<{ type: number; data: Uint8Array }> {
  const ext: Array<{ type: number; data: Uint8Array }> = [
    { type: ExtensionType.signature_algorithms, data: encodeSignatureAlgorithms(policy.clientAuth.schemes ?? CLIENT_SIGNATURE_SCHEMES) },
  ];
  const names = policy.clientAuth.authorityNames;
  if (names && names.length > 0) ext.push({ type: ExtensionType.certificate_authorities, data: encodeCertificateAuthorities(names) });
  return ext;
}

function nameOfGroup(group: number): string {
  return `group 0x${group.toString(16).padStart(4, '0')}`;
}
