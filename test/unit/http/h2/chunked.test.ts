import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ChunkedDecoder } from '../../../../adapters/http/h2/chunked.js';
import { HttpError } from '../../../../adapters/http/h1/errors.js';

/** Decodes `parts` in order: the content, the trailers and where (in the concatenation) the body ended. */
function decode(parts: Buffer[]): { data: Buffer; end: number; trailers: Array<[string, string]> } {
  const d = new ChunkedDecoder();
  d.reset();
  const out: Buffer[] = [];
  let offset = 0;
  for (const part of parts) {
    const end = d.decode(part, 0, part.length, (data) => out.push(Buffer.from(data)));
    if (end !== -1) return { data: Buffer.concat(out), end: offset + end, trailers: d.trailers };
    offset += part.length;
  }
  return { data: Buffer.concat(out), end: -1, trailers: d.trailers };
}

function encode(chunks: Buffer[], trailer = ''): Buffer {
  return Buffer.concat([...chunks.filter((c) => c.length > 0).flatMap((c) => [Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n')]), Buffer.from(`0\r\n${trailer}\r\n`)]);
}

function refuses(text: string, code: string): void {
  assert.throws(() => decode([Buffer.from(text, 'latin1')]), (e: unknown) => e instanceof HttpError && e.code === code && e.status === 502, `expected ${code} for ${JSON.stringify(text)}`);
}

describe('chunked decoder (HTTP/1.1 origin → HTTP/2 client)', () => {
  it('yields the content without framing and stops at the end of the body', () => {
    const body = encode([Buffer.from('hello '), Buffer.from('world')]);
    const r = decode([Buffer.concat([body, Buffer.from('HTTP/1.1 200 OK\r\n')])]);
    assert.equal(r.data.toString(), 'hello world');
    assert.equal(r.end, body.length, 'bytes after the body belong to the next message');
  });

  it('decodes the same whatever the read boundaries (every split point)', () => {
    const body = encode([Buffer.from('abc'), randomBytes(300), Buffer.from('z')], 'x-sum: 1\r\n');
    const whole = decode([body]);
    for (let i = 1; i < body.length; i++) {
      const r = decode([body.subarray(0, i), body.subarray(i)]);
      assert.deepEqual([r.data, r.end, r.trailers], [whole.data, whole.end, whole.trailers], `split at ${i}`);
    }
  });

  it('collects trailer fields with lowercase names and drops chunk extensions', () => {
    const r = decode([Buffer.from('5;ext=1\r\nhello\r\n0\r\nX-Checksum: abc \r\nServer-Timing: db;dur=3\r\n\r\n', 'latin1')]);
    assert.equal(r.data.toString(), 'hello');
    assert.deepEqual(r.trailers, [['x-checksum', 'abc'], ['server-timing', 'db;dur=3']]);
  });

  it('refuses the framing the HTTP/1.1 framer refuses', () => {
    refuses('z\r\n', 'bad_chunk_size');
    refuses('5\nhello\r\n0\r\n\r\n', 'bare_lf');
    refuses('5\r\nhelloXX0\r\n\r\n', 'bad_chunk_terminator');
    refuses('5 \r\nhello\r\n', 'bad_chunk_extension');
    refuses('11111111111111111\r\n', 'bad_chunk_size');
    refuses('0\r\n folded: x\r\n\r\n', 'bad_trailer');
    refuses('0\r\nname-only\r\n\r\n', 'bad_trailer');
    refuses('0\r\nname\rx\r\n\r\n', 'bare_cr');
    refuses(`1;${'e'.repeat(5000)}\r\n`, 'chunk_line_too_long');
  });

  it('never throws anything but HttpError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(200), (bytes, split) => {
        const buf = Buffer.from(bytes);
        const at = Math.min(split, buf.length);
        try {
          decode([buf.subarray(0, at), buf.subarray(at)]);
        } catch (err) {
          if (!(err instanceof HttpError)) throw err;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
