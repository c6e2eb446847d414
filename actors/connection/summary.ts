// One-line human summaries of connection events, for `tlsedge events` and `tlsedge replay`.
import type { AnyEvent } from '../../bus/envelope.js';
import type { ConnectionEventData, ConnectionFact } from './events.js';
import { CONNECTION_EVENT_PREFIX } from './events.js';

type Summarizers = { [F in ConnectionFact]: (d: ConnectionEventData[F]) => string };

const summarize: Summarizers = {
  accepted: (d) => `from ${d.remoteAddress}:${d.remotePort} on ${d.localAddress}:${d.localPort}`,
  client_hello_received: (d) =>
    `sni=${d.sni ?? '-'} alpn=${d.alpn.join(',') || '-'} versions=${d.versions.join(',')} ${d.sessionTicket.present ? 'ticket ' : ''}${d.pskIdentities ? 'psk ' : ''}ja4=${d.ja4}`,
  policy_selected: (d) =>
    d.tunnel
      ? `rule ${ruleName(d.rule, d.match)} (${d.matchedBy}) → tunnel to ${d.tunnel}`
      : `rule ${ruleName(d.rule, d.match)} (${d.matchedBy}) cert=${d.certificate ?? '-'} (${d.certificateBy}) alpn=${d.alpn.join(',')} tls=${d.tls.min}-${d.tls.max} client_cert=${d.clientCert} engine=${d.engine}`,
  handshake_offloaded: (d) => `waiting for signer ${d.signer} key=${d.key} scheme=${d.scheme}`,
  signature_completed: (d) => `signer ${d.signer} answered in ${d.latencyMs} ms`,
  handshake_completed: (d) =>
    `TLS ${d.version} ${d.cipher} alpn=${d.alpn ?? '-'} resumed=${d.resumed ?? 'no'} in ${d.durationMs} ms${d.clientCert ? ` client_cert="${d.clientCert.subject}"${d.clientCert.authorized ? '' : ` (not verified: ${d.clientCert.error ?? 'unknown'})`}` : ''}`,
  handshake_failed: (d) => `${d.stage}: ${d.reason}${d.alert ? ` (alert ${d.alert})` : ''} — ${d.message}`,
  tunnel_opened: (d) => `tunnel to ${d.backend}`,
  origin_bound: (d) =>
    `#${d.request} ${d.method} ${d.host}${d.path} → ${d.origin} (origin rule ${d.rule}) ${d.reused ? 'reused' : 'new'} ${d.originProtocol === 'h2' ? 'h2 session' : 'connection'} ${d.originConnection} sni=${d.sniSent ?? '-'} pool=${d.poolKey}${d.missReason ? ` (idle connection not reused: ${d.missReason})` : ''}`,
  request_completed: (d) => `#${d.request} ${d.status} in ${d.durationMs} ms (${d.bytesIn} B in, ${d.bytesOut} B out)`,
  request_refused: (d) => `#${d.request} ${d.status} ${d.reason} for ${d.host}${d.path}`,
  origin_failed: (d) => `#${d.request} ${d.status} ${d.reason} from ${d.origin}: ${d.message}`,
  closed: (d) => `${d.reason} after ${d.durationMs} ms in state ${d.state}: ${d.requests} request(s), ${d.bytesIn} B in, ${d.bytesOut} B out`,
};

function ruleName(index: number, match: string): string {
  return index < 0 ? 'default' : `sni[${index}] "${match}"`;
}

/** The fact name and its summary, or undefined for events of other actors. */
export function summarizeConnectionEvent(event: AnyEvent): { fact: string; text: string } | undefined {
  if (!event.type.startsWith(CONNECTION_EVENT_PREFIX)) return undefined;
  const fact = event.type.slice(CONNECTION_EVENT_PREFIX.length) as ConnectionFact;
  const fn = summarize[fact] as ((d: unknown) => string) | undefined;
  if (!fn) return { fact, text: JSON.stringify(event.data) };
  try {
    return { fact, text: fn(event.data) };
  } catch {
    return { fact, text: JSON.stringify(event.data) };
  }
}
