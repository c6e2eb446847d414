// Traffic (RFC 8446 §4.6, §5, §6.1): application data both ways, KeyUpdate both ways, close_notify.
import { ContentType, HandshakeType } from '../../wire/enums.js';
import { TlsError } from '../../wire/errors.js';
import { nextTrafficSecret } from '../key-schedule.js';
import { decodeKeyUpdate, encodeKeyUpdate } from '../messages/key-update.js';
import { installReader, installWriter, protectedRecords, write, type Out } from './records.js';
import type { Traffic } from './state.js';

/** Post-handshake messages from the client: only KeyUpdate (we never request post-handshake auth). */
export function onTrafficHandshake(state: Traffic, raw: Uint8Array, out: Out): Traffic {
  if (raw[0] !== HandshakeType.key_update) throw new TlsError('unexpected_message', `unexpected post-handshake message type ${raw[0]}`);
  const { conn, suite } = state;
  const requested = decodeKeyUpdate(raw);
  const readSecret = nextTrafficSecret(conn.config.provider, suite, state.readSecret);
  // §4.6.3 with §5.1: a KeyUpdate must end its record, since what follows uses the new key.
  installReader(conn, suite, readSecret, 'key_update');
  out.push({ type: 'key_updated', direction: 'read' });
  let next: Traffic = { ...state, readSecret };
  // "If the request_update field is set to update_requested, the receiver MUST send a KeyUpdate ... prior to sending its next Application Data record."
  if (requested && !conn.closeSent) next = sendKeyUpdate(next, false, out);
  return next;
}

export function sendKeyUpdate(state: Traffic, requestPeer: boolean, out: Out): Traffic {
  const { conn, suite } = state;
  write(out, protectedRecords(conn, ContentType.handshake, encodeKeyUpdate(requestPeer)));
  const writeSecret = nextTrafficSecret(conn.config.provider, suite, state.writeSecret);
  installWriter(conn, suite, writeSecret);
  out.push({ type: 'key_updated', direction: 'write' });
  return { ...state, writeSecret };
}

/** Protects application data; updates our key first when the suite's per-key record limit nears (§5.5). */
export function sendApplicationData(state: Traffic, data: Uint8Array, out: Out): Traffic {
  let next = state;
  const records = Math.ceil(data.length / state.conn.maxSendContent) + 1;
  if (state.conn.writer!.sequence + records >= state.suite.recordLimit) next = sendKeyUpdate(state, false, out);
  write(out, protectedRecords(next.conn, ContentType.application_data, data));
  return next;
}
