import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BodyFramer } from '../../../adapters/http/h1/body-framer.js';
import { HttpError } from '../../../adapters/http/h1/errors.js';
import { parseRequestHead } from '../../../adapters/http/h1/request-head.js';
import { parseResponseHead } from '../../../adapters/http/h1/response-head.js';

/** Bytes that matter to HTTP/1.1 syntax, weighted in: random bytes alone rarely reach deep states. */
const syntaxByte = fc.oneof(
  fc.constantFrom(...Buffer.from('\r\n :,;="\t0123456789abcdefABCDEF-_/?#*[]@HTTP/1.1\x00\x7f\x80\xff')),
  fc.integer({ min: 0, max: 255 }),
);

const validRequest = fc
  .record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'HEAD', 'OPTIONS', 'PATCH', 'DELETE', 'X-CUSTOM'),
    path: fc.stringMatching(/^\/[a-zA-Z0-9._~%!$&'()*+,;=:@/?-]{0,40}$/),
    host: fc.stringMatching(/^[a-z0-9-]{1,20}(\.[a-z0-9-]{1,10}){0,3}(:[0-9]{1,5})?$/),
    fields: fc.array(fc.tuple(fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}$/), fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,30}[\x21-\x7e])?$/)), { maxLength: 12 }),
    framing: fc.constantFrom('', 'Content-Length: 12\r\n', 'Transfer-Encoding: chunked\r\n'),
  })
  .map(({ method, path, host, fields, framing }) => `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\n${fields.map(([n, v]) => `${n}: ${v}\r\n`).join('')}${framing}\r\n`);

/** Applies random byte edits (insert, replace, delete) to a buffer. */
function mutate(base: Buffer, edits: Array<[number, number, number]>): Buffer {
  const bytes = [...base];
  for (const [op, at, byte] of edits) {
    const i = at % (bytes.length + 1);
    if (op === 0) bytes.splice(i, 0, byte);
    else if (op === 1 && i < bytes.length) bytes[i] = byte;
    else if (i < bytes.length) bytes.splice(i, 1);
  }
  return Buffer.from(bytes);
}

const edits = fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.nat(), syntaxByte), { minLength: 1, maxLength: 6 });

function onlyResultsOrHttpErrors(run: () => unknown): void {
  try {
    run();
  } catch (err) {
    assert.ok(err instanceof HttpError, `unexpected ${String(err)}`);
    assert.ok(err.status >= 400 && err.status < 600);
  }
}

describe('HTTP/1.1 codec under fuzzing', () => {
  it('parseRequestHead only returns heads, undefined or HttpError for random bytes', () => {
    fc.assert(
      fc.property(fc.array(syntaxByte, { maxLength: 300 }), (bytes) => {
        onlyResultsOrHttpErrors(() => parseRequestHead(Buffer.from(bytes), { maxHeadBytes: 256 }));
      }),
      { numRuns: 3000 },
    );
  });

  it('parseRequestHead only returns heads, undefined or HttpError for mutated valid heads', () => {
    fc.assert(
      fc.property(validRequest, edits, (text, e) => {
        onlyResultsOrHttpErrors(() => parseRequestHead(mutate(Buffer.from(text, 'latin1'), e), { maxHeadBytes: 4096 }));
      }),
      { numRuns: 3000 },
    );
  });

  it('parses generated valid heads, whole or split anywhere, to the same end', () => {
    fc.assert(
      fc.property(validRequest, fc.nat(), (text, at) => {
        const bytes = Buffer.from(text, 'latin1');
        const whole = parseRequestHead(bytes, { maxHeadBytes: 8192 });
        assert.ok(whole);
        assert.equal(whole.end, bytes.length);
        const split = at % bytes.length;
        assert.equal(parseRequestHead(bytes.subarray(0, split), { maxHeadBytes: 8192 }), undefined);
        const again = parseRequestHead(bytes, { maxHeadBytes: 8192 }, split);
        assert.equal(again?.end, bytes.length);
      }),
      { numRuns: 1000 },
    );
  });

  it('parseResponseHead only returns heads, undefined or HttpError', () => {
    const validResponse = fc
      .tuple(fc.integer({ min: 100, max: 599 }), fc.constantFrom('', 'Content-Length: 5\r\n', 'Transfer-Encoding: chunked\r\n', 'Connection: close\r\n'))
      .map(([status, f]) => `HTTP/1.1 ${status} Reason\r\nServer: x\r\n${f}\r\n`);
    fc.assert(
      fc.property(validResponse, edits, fc.boolean(), (text, e, head) => {
        onlyResultsOrHttpErrors(() => parseResponseHead(mutate(Buffer.from(text, 'latin1'), e), { headRequest: head, maxHeadBytes: 4096 }));
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.array(syntaxByte, { maxLength: 300 }), (bytes) => {
        onlyResultsOrHttpErrors(() => parseResponseHead(Buffer.from(bytes), { headRequest: false, maxHeadBytes: 256 }));
      }),
      { numRuns: 3000 },
    );
  });

  it('BodyFramer only returns offsets or throws HttpError on random chunked input', () => {
    fc.assert(
      fc.property(fc.array(syntaxByte, { maxLength: 200 }), fc.nat(), (bytes, at) => {
        const buf = Buffer.from(bytes);
        const f = new BodyFramer();
        f.reset('chunked', 0, 'request', 64);
        onlyResultsOrHttpErrors(() => {
          const split = at % (buf.length + 1);
          const first = f.scan(buf, 0, split);
          if (first === -1) {
            const second = f.scan(buf, split, buf.length);
            assert.ok(second === -1 || (second >= split && second <= buf.length));
          } else {
            assert.ok(first >= 0 && first <= split);
          }
        });
      }),
      { numRuns: 5000 },
    );
  });

  it('BodyFramer finds the end of generated chunked bodies under any split', () => {
    const chunk = fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.constantFrom('', ';a', ';a=b', ';a="q s"', ' ;x'));
    const body = fc
      .tuple(fc.array(chunk, { maxLength: 6 }), fc.array(fc.constantFrom('X-T: 1', 'Checksum: abc'), { maxLength: 2 }))
      .map(([chunks, trailers]) => {
        const parts: Buffer[] = [];
        for (const [data, ext] of chunks) parts.push(Buffer.from(`${data.length.toString(16)}${ext}\r\n`, 'latin1'), Buffer.from(data), Buffer.from('\r\n'));
        parts.push(Buffer.from(`0\r\n${trailers.map((t) => `${t}\r\n`).join('')}\r\n`, 'latin1'));
        return Buffer.concat(parts);
      });
    fc.assert(
      fc.property(body, fc.array(fc.nat(), { maxLength: 4 }), (bytes, cuts) => {
        const input = Buffer.concat([bytes, Buffer.from('NEXT')]);
        const points = [...new Set(cuts.map((c) => c % input.length))].sort((a, b) => a - b);
        const f = new BodyFramer();
        f.reset('chunked', 0, 'response');
        let start = 0;
        let end = -1;
        for (const p of [...points, input.length]) {
          if (p <= start) continue;
          end = f.scan(input, start, p);
          if (end !== -1) break;
          start = p;
        }
        assert.equal(end, bytes.length);
      }),
      { numRuns: 1500 },
    );
  });
});
