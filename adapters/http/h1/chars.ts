// Byte classes of HTTP/1.1 (RFC 9110 §5.6.2 tchar, §5.5 field-vchar; RFC 3986 for targets and
// hosts) as 256-entry lookup tables, so every syntax check in the codec is one indexed load.

function table(pred: (b: number) => boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let b = 0; b < 256; b++) t[b] = pred(b) ? 1 : 0;
  return t;
}

const isAlpha = (b: number): boolean => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
const isDigit = (b: number): boolean => b >= 0x30 && b <= 0x39;

/** tchar: "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA. */
export const TCHAR = table((b) => isAlpha(b) || isDigit(b) || "!#$%&'*+-.^_`|~".includes(String.fromCharCode(b)));

/** Bytes allowed inside a field value: field-vchar (VCHAR / obs-text), SP and HTAB (RFC 9110 §5.5). */
export const FIELD_VALUE = table((b) => b === 0x09 || (b >= 0x20 && b !== 0x7f));

/** Bytes of a request-target: visible ASCII (RFC 3986); no SP, CTL, obs-text, nor "#" (fragments are never sent). */
export const TARGET = table((b) => b > 0x20 && b < 0x7f && b !== 0x23);

/** Bytes of a Host value: reg-name / IP-literal characters plus ":" for the port (RFC 3986 §3.2.2). */
export const HOST = table((b) => isAlpha(b) || isDigit(b) || "-._~!$&'()*+,;=%:[]".includes(String.fromCharCode(b)));

/** Hex digit value, or 255 for a non-hex byte. */
export const HEX = (() => {
  const t = new Uint8Array(256).fill(255);
  for (let i = 0; i < 10; i++) t[0x30 + i] = i;
  for (let i = 0; i < 6; i++) {
    t[0x41 + i] = 10 + i;
    t[0x61 + i] = 10 + i;
  }
  return t;
})();

/** Bytes of a chunk extension (token / quoted-string / "=" / ";" / BWS): visible, SP, HTAB, obs-text. */
export const CHUNK_EXT = FIELD_VALUE;

export const CR = 0x0d;
export const LF = 0x0a;
export const SP = 0x20;
export const HTAB = 0x09;
export const COLON = 0x3a;
