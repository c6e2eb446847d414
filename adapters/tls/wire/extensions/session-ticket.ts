// session_ticket (RFC 5077 §3.2): a TLS 1.2 ticket, opaque, possibly empty (an empty one asks for a
// new ticket). Its first 16 bytes name the ticket key in OpenSSL/ATS formats (PLATFORM-FACTS.md).
export function decodeSessionTicket(data: Uint8Array): Uint8Array {
  return data;
}

export function encodeSessionTicket(ticket: Uint8Array): Uint8Array {
  return ticket;
}
