// Record fragmentation (RFC 8446 §5.1, RFC 8449 §4): content is cut into records no larger than
// the peer accepts. `maxContent` is already min(2^14, record_size_limit - 1) for protected records.
export function fragment(content: Uint8Array, maxContent: number): Uint8Array[] {
  if (content.length <= maxContent) return [content];
  const out: Uint8Array[] = [];
  for (let i = 0; i < content.length; i += maxContent) out.push(content.subarray(i, Math.min(i + maxContent, content.length)));
  return out;
}

/** Plaintext records (ServerHello, HelloRetryRequest, early alerts) of one content type. */
export function plaintextRecords(type: number, content: Uint8Array, maxContent = 1 << 14): Uint8Array[] {
  return fragment(content, maxContent).map((f) => {
    const r = new Uint8Array(5 + f.length);
    r[0] = type;
    r[1] = 3;
    r[2] = 3;
    r[3] = f.length >> 8;
    r[4] = f.length & 0xff;
    r.set(f, 5);
    return r;
  });
}
