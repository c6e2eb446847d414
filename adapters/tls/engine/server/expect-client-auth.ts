// ExpectCertificate and ExpectCertificateVerify (RFC 8446 §4.4.2–§4.4.3): the client's answer to
// our CertificateRequest — its chain (verified against the policy's CAs) and its signature.
import { HandshakeType, SignatureScheme, nameOf } from '../../wire/enums.js';
import { TlsError } from '../../wire/errors.js';
import { decodeCertificate } from '../messages/certificate.js';
import { certificateVerifyContent, decodeCertificateVerify } from '../messages/certificate-verify.js';
import { CLIENT_SIGNATURE_SCHEMES } from './policy.js';
import type { Out } from './records.js';
import type { ExpectCertificate, ExpectCertificateVerify, ServerState } from './state.js';

export function onClientCertificate(state: ExpectCertificate, raw: Uint8Array, _out: Out): ServerState {
  if (raw[0] !== HandshakeType.certificate) throw new TlsError('unexpected_message', `expected certificate, got handshake type ${raw[0]}`);
  const { conn, hs } = state;
  const message = decodeCertificate(raw);
  // §4.4.2: the context echoes the CertificateRequest's, which is empty during the handshake.
  if (message.context.length !== 0) throw new TlsError('illegal_parameter', 'client certificate_request_context is not empty');
  hs.transcript.add(raw);
  const chain = message.entries.map((e) => e.certData);
  const policy = hs.neg.policy.clientAuth;
  if (chain.length === 0) {
    // §4.4.2.4: no certificate — abort with certificate_required only when one is required.
    if (policy.mode === 'require') throw new TlsError('certificate_required', 'client sent no certificate');
    return { kind: 'expect_finished', conn, hs, clientChain: [] };
  }
  const verdict = conn.config.provider.verifyClientChain(chain, policy.trustAnchors, conn.config.clock.now());
  if (!verdict.ok) throw new TlsError(verdict.code, `client certificate refused: ${verdict.reason}`);
  return { kind: 'expect_certificate_verify', conn, hs, clientChain: chain };
}

export function onClientCertificateVerify(state: ExpectCertificateVerify, raw: Uint8Array, _out: Out): ServerState {
  if (raw[0] !== HandshakeType.certificate_verify) throw new TlsError('unexpected_message', `expected certificate_verify, got handshake type ${raw[0]}`);
  const { conn, hs, clientChain } = state;
  const verify = decodeCertificateVerify(raw);
  const offered = hs.neg.policy.clientAuth.schemes ?? CLIENT_SIGNATURE_SCHEMES;
  // §4.4.3: the scheme MUST be one we listed in the CertificateRequest.
  if (!offered.includes(verify.scheme)) throw new TlsError('illegal_parameter', `client signed with ${nameOf(SignatureScheme, verify.scheme)}, which was not offered`);
  const content = certificateVerifyContent('client', hs.transcript.current());
  if (!conn.config.provider.verifySignature(verify.scheme, clientChain[0]!, content, verify.signature)) {
    throw new TlsError('decrypt_error', 'client CertificateVerify signature does not verify');
  }
  hs.transcript.add(raw);
  return { kind: 'expect_finished', conn, hs, clientChain };
}
