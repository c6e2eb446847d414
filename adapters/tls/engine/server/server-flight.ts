// The end of the server's flight (RFC 8446 §4.4): CertificateVerify (full handshakes, with the
// signature the host produced), Finished, application traffic secrets; then the flight is written
// in one go and the server switches its write side to the application key.
import { SignatureScheme, nameOf } from '../../wire/enums.js';
import { TlsError } from '../../wire/errors.js';
import { finishedVerifyData } from '../key-schedule.js';
import { encodeCertificateVerify } from '../messages/certificate-verify.js';
import { encodeFinished } from '../messages/finished.js';
import { fail, flushFlight, installWriter, type Out } from './records.js';
import type { AfterServerFinished, AwaitingSignature, Conn, FlightInProgress, ServerState } from './state.js';

/** `signature_ready`: the engine resumes exactly where it paused. */
export function onSignatureReady(state: AwaitingSignature, signature: Uint8Array, out: Out): ServerState {
  if (signature.length === 0 || signature.length > 0xffff) {
    throw new TlsError('internal_error', `signer returned a ${signature.length}-byte ${nameOf(SignatureScheme, state.neg.scheme!)} signature`);
  }
  return finishServerFlight(state.conn, state, signature, out);
}

/** `signature_failed`: no ServerHello was written yet, so the alert goes out in plaintext. */
export function onSignatureFailed(state: AwaitingSignature, reason: string, out: Out): ServerState {
  return fail(state.conn, new TlsError('internal_error', `signing failed: ${reason}`), out);
}

export function finishServerFlight(conn: Conn, f: FlightInProgress, signature: Uint8Array | undefined, out: Out): ServerState {
  const p = conn.config.provider;
  const { neg, transcript } = f;
  if (signature) {
    const verify = encodeCertificateVerify(neg.scheme!, signature);
    transcript.add(verify);
    f.flight.handshake.push(verify);
  }
  const finished = encodeFinished(finishedVerifyData(p, neg.suite, f.serverHandshakeSecret, transcript.current()));
  transcript.add(finished);
  f.flight.handshake.push(finished);

  const master = f.handshakeSecret.intoMaster();
  const throughServerFinished = transcript.current();
  const hs: AfterServerFinished = {
    neg,
    transcript,
    clientHandshakeSecret: f.clientHandshakeSecret,
    master,
    clientApplicationSecret: master.clientApplicationTrafficSecret(throughServerFinished),
    serverApplicationSecret: master.serverApplicationTrafficSecret(throughServerFinished),
  };
  flushFlight(conn, f.flight, out);
  // After its Finished the server writes under the application key (§4.4.4, 0.5-RTT and alerts).
  installWriter(conn, neg.suite, hs.serverApplicationSecret);
  if (f.clientAuthRequested) return { kind: 'expect_certificate', conn, hs };
  return { kind: 'expect_finished', conn, hs, clientChain: neg.resumed?.session.clientCertificates ?? [] };
}
