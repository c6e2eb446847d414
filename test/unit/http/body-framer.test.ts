import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BodyFramer } from '../../../adapters/http/h1/body-framer.js';
import { HttpError } from '../../../adapters/http/h1/errors.js';

/** Feeds `parts` in order; returns the offset (into the concatenation) where the body ended, or -1. */
function feed(framer: BodyFramer, parts: Buffer[]): number {
  let offset = 0;
  for (const part of parts) {
    const end = framer.scan(part, 0, part.length);
    if (end !== -1) return offset + end;
    offset += part.length;
  }
  return -1;
}

function chunked(text: string, side: 'request' | 'response' = 'request'): number {
  const f = new BodyFramer();
  f.reset('chunked', 0, side);
  return feed(f, [Buffer.from(text, 'latin1')]);
}

function refusesChunked(text: string, code: string, side: 'request' | 'response' = 'request'): void {
  assert.throws(
    () => chunked(text, side),
    (e: unknown) => e instanceof HttpError && e.code === code && e.status === (side === 'request' ? 400 : 502),
    `expected ${code} for ${JSON.stringify(text)}`,
  );
}

describe('BodyFramer', () => {
  it('ends a Content-Length body after exactly that many bytes', () => {
    const f = new BodyFramer();
    f.reset('length', 10, 'request');
    assert.equal(f.scan(Buffer.from('12345'), 0, 5), -1);
    assert.equal(f.done, false);
    assert.equal(f.scan(Buffer.from('67890NEXT'), 0, 9), 5);
    assert.equal(f.done, true);
    assert.equal(f.bytes, 10);
  });

  it('ends a body of no bytes at once', () => {
    const f = new BodyFramer();
    f.reset('none', 0, 'request');
    assert.equal(f.done, true);
    assert.equal(f.scan(Buffer.from('GET'), 0, 3), 0);
    f.reset('length', 0, 'request');
    assert.equal(f.done, true);
  });

  it('ends a close-delimited body only at end of input', () => {
    const f = new BodyFramer();
    f.reset('close', 0, 'response');
    assert.equal(f.scan(Buffer.from('abc'), 0, 3), -1);
    assert.equal(f.done, false);
    assert.equal(f.endOfInput(), true);
    assert.equal(f.done, true);
  });

  it('finds the end of a chunked body with extensions and trailers', () => {
    const body = '5;name=value;q="a b"\r\nhello\r\nA\r\n0123456789\r\n0;last\r\nX-Trailer: yes\r\nX-Other: 1\r\n\r\n';
    assert.equal(chunked(`${body}NEXT`), body.length);
  });

  it('accepts upper and lower case hex and leading zeros', () => {
    const body = '000a\r\n0123456789\r\n1F\r\n' + 'x'.repeat(31) + '\r\n0000\r\n\r\n';
    assert.equal(chunked(body), body.length);
  });

  it('accepts whitespace before a chunk extension (BWS)', () => {
    const body = '3 ;ext\r\nabc\r\n0\r\n\r\n';
    assert.equal(chunked(body), body.length);
  });

  it('finds the same end at every split point of a chunked body', () => {
    const text = '4\r\nWiki\r\n6;x=1\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\nT: v\r\n\r\n';
    const bytes = Buffer.from(`${text}GET / HTTP/1.1`, 'latin1');
    for (let a = 0; a <= bytes.length; a++) {
      const f = new BodyFramer();
      f.reset('chunked', 0, 'request');
      assert.equal(feed(f, [bytes.subarray(0, a), bytes.subarray(a)]), text.length, `split at ${a}`);
    }
    // and one byte at a time
    const f = new BodyFramer();
    f.reset('chunked', 0, 'request');
    const ones = Array.from(bytes, (b) => Buffer.from([b]));
    assert.equal(feed(f, ones), text.length);
  });

  it('refuses a chunk size that is not hex (bad_chunk_size)', () => {
    refusesChunked('g\r\n', 'bad_chunk_size');
    refusesChunked('\r\n', 'bad_chunk_size');
    refusesChunked('-1\r\n', 'bad_chunk_size');
    refusesChunked('0x5\r\n', 'bad_chunk_size');
  });

  it('refuses chunk sizes that overflow (bad_chunk_size)', () => {
    refusesChunked('fffffffffffffffff\r\n', 'bad_chunk_size');
    refusesChunked('00000000000000001\r\n', 'bad_chunk_size');
  });

  it('refuses a bare LF in a chunk line (bare_lf)', () => {
    refusesChunked('5\nhello\r\n0\r\n\r\n', 'bare_lf');
    refusesChunked('5;a=b\nhello\r\n0\r\n\r\n', 'bare_lf');
  });

  it('refuses a bare CR in a chunk line (bare_cr)', () => {
    refusesChunked('5\rhello\r\n0\r\n\r\n', 'bare_cr');
  });

  it('refuses chunk data not followed by CRLF (bad_chunk_terminator)', () => {
    refusesChunked('5\r\nhelloX\r\n0\r\n\r\n', 'bad_chunk_terminator');
    refusesChunked('5\r\nhello\n0\r\n\r\n', 'bad_chunk_terminator');
    refusesChunked('5\r\nhello\r0\r\n\r\n', 'bad_chunk_terminator');
  });

  it('refuses whitespace after a chunk size without an extension (bad_chunk_extension)', () => {
    refusesChunked('5 \r\nhello\r\n0\r\n\r\n', 'bad_chunk_extension');
  });

  it('refuses control bytes in chunk extensions (bad_chunk_extension)', () => {
    refusesChunked('5;a\x00\r\nhello\r\n0\r\n\r\n', 'bad_chunk_extension');
  });

  it('refuses overlong chunk lines (chunk_line_too_long)', () => {
    refusesChunked(`5;${'a'.repeat(5000)}\r\n`, 'chunk_line_too_long');
  });

  it('refuses malformed trailers (bad_trailer, bare_lf, trailer_too_large)', () => {
    refusesChunked('0\r\n folded: x\r\n\r\n', 'bad_trailer');
    refusesChunked('0\r\nBad Name: x\r\n\r\n', 'bad_trailer');
    refusesChunked('0\r\nX: a\x01\r\n\r\n', 'bad_trailer');
    refusesChunked('0\r\nX: 1\n\r\n', 'bare_lf');
    refusesChunked('0\r\n\n', 'bare_lf');
    refusesChunked('0\r\n\rX', 'bare_cr');
    assert.throws(() => {
      const f = new BodyFramer();
      f.reset('chunked', 0, 'request', 64);
      feed(f, [Buffer.from(`0\r\nX: ${'a'.repeat(100)}\r\n\r\n`)]);
    }, (e: unknown) => e instanceof HttpError && e.code === 'trailer_too_large');
  });

  it('reports response framing errors as 502', () => {
    refusesChunked('z\r\n', 'bad_chunk_size', 'response');
  });

  it('refuses to continue after a framing error', () => {
    const f = new BodyFramer();
    f.reset('chunked', 0, 'request');
    assert.throws(() => f.scan(Buffer.from('z'), 0, 1));
    assert.equal(f.done, false);
    assert.throws(() => f.scan(Buffer.from('0\r\n\r\n'), 0, 5), HttpError);
  });
});
