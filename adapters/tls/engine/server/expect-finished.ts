// ExpectFinished (RFC 8446 §4.4.4): the client's Finished proves it saw our flight; then the read
// side switches to the application key, the handshake is complete and tickets go out (§4.6.1).
import { HandshakeType, NamedGroup, SignatureScheme, nameOf } from '../../wire/enums.js';
import { TlsError } from '../../wire/errors.js';
import { constantTimeEqual } from '../bytes.js';
import { finishedVerifyData } from '../key-schedule.js';
import { decodeFinished } from '../messages/finished.js';
import { installReader, type Out } from './records.js';
import { issueTickets } from './resumption.js';
import type { ExpectFinished, ServerState } from './state.js';

export function onClientFinished(state: ExpectFinished, raw: Uint8Array, out: Out): ServerState {
  if (raw[0] !== HandshakeType.finished) throw new TlsError('unexpected_message', `expected finished, got handshake type ${raw[0]}`);
  const { conn, hs, clientChain } = state;
  const p = conn.config.provider;
  const suite = hs.neg.suite;
  const verifyData = decodeFinished(raw, suite.hashLength);
  const expected = finishedVerifyData(p, suite, hs.clientHandshakeSecret, hs.transcript.current());
  if (!constantTimeEqual(verifyData, expected)) throw new TlsError('decrypt_error', 'client Finished does not verify');
  hs.transcript.add(raw);

  installReader(conn, suite, hs.clientApplicationSecret, 'client finished');
  // §5: no compatibility CCS after the peer's Finished; rejected 0-RTT is over too.
  conn.ccsAllowed = false;
  conn.earlyData = { mode: 'none', budget: 0, skipped: conn.earlyData.skipped };

  const neg = hs.neg;
  out.push({
    type: 'handshake_completed',
    version: 'TLSv1.3',
    suite: suite.name,
    group: nameOf(NamedGroup, neg.group),
    signatureScheme: neg.scheme === undefined ? null : nameOf(SignatureScheme, neg.scheme),
    alpn: neg.alpn ?? null,
    sni: neg.sni ?? null,
    resumed: neg.resumed?.kind ?? null,
    helloRetry: neg.helloRetry,
    clientCertificates: clientChain,
    policyId: neg.policy.id,
    ticketKeyName: neg.resumed?.keyName ?? null,
  });
  const resumptionMasterSecret = hs.master.resumptionMasterSecret(hs.transcript.current());
  issueTickets(conn, neg, resumptionMasterSecret, clientChain, out);
  resumptionMasterSecret.fill(0);
  return { kind: 'traffic', conn, suite, readSecret: hs.clientApplicationSecret, writeSecret: hs.serverApplicationSecret };
}
