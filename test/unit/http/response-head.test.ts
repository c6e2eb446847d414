import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpError } from '../../../adapters/http/h1/errors.js';
import { parseResponseHead, type ResponseHead } from '../../../adapters/http/h1/response-head.js';

function parse(text: string, headRequest = false): ResponseHead {
  const head = parseResponseHead(Buffer.from(text, 'latin1'), { headRequest, maxHeadBytes: 8192 });
  assert.ok(head, 'head should be complete');
  return head;
}

function refuses(text: string, code: string): void {
  assert.throws(
    () => parseResponseHead(Buffer.from(text, 'latin1'), { headRequest: false, maxHeadBytes: 8192 }),
    (err: unknown) => err instanceof HttpError && err.code === code && err.status === 502,
    `expected ${code} for ${JSON.stringify(text)}`,
  );
}

describe('parseResponseHead', () => {
  it('parses status, reason and fields', () => {
    const h = parse('HTTP/1.1 201 Created\r\nContent-Length: 3\r\nX-A: b\r\n\r\nabc');
    assert.equal(h.status, 201);
    assert.equal(h.version, 11);
    assert.equal(h.body, 'length');
    assert.equal(h.contentLength, 3);
    assert.equal(h.end, h.buf.length - 3);
    assert.equal(h.keepAlive, true);
  });

  it('accepts an empty reason phrase with or without its space', () => {
    assert.equal(parse('HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n').status, 200);
    assert.equal(parse('HTTP/1.1 204\r\n\r\n').status, 204);
  });

  it('returns undefined until the head is complete', () => {
    assert.equal(parseResponseHead(Buffer.from('HTTP/1.1 200 OK\r\n'), { headRequest: false, maxHeadBytes: 100 }), undefined);
  });

  it('has no body for HEAD, 1xx, 204 and 304 whatever the fields say', () => {
    assert.equal(parse('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n', true).body, 'none');
    assert.equal(parse('HTTP/1.1 100 Continue\r\n\r\n').body, 'none');
    assert.equal(parse('HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n').body, 'none');
    assert.equal(parse('HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n').body, 'none');
    assert.equal(parse('HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n').keepAlive, true);
  });

  it('frames by chunked, by length, or until close', () => {
    assert.equal(parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n').body, 'chunked');
    assert.equal(parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n').body, 'close');
    assert.equal(parse('HTTP/1.1 200 OK\r\n\r\n').body, 'close');
    assert.equal(parse('HTTP/1.1 200 OK\r\n\r\n').keepAlive, false);
    assert.equal(parse('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n').body, 'none');
  });

  it('decides reuse from version and Connection', () => {
    assert.equal(parse('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n').keepAlive, false);
    assert.equal(parse('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n').keepAlive, false);
    assert.equal(parse('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n').keepAlive, true);
  });

  it('refuses ambiguous framing from an origin with 502', () => {
    refuses('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n', 'te_with_content_length');
    refuses('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', 'conflicting_content_length');
    refuses('HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', 'bad_content_length');
    refuses('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n', 'chunked_twice');
    refuses('HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', 'te_in_http10');
  });

  it('refuses malformed status lines and fields with 502', () => {
    refuses('HTTP/1.1 20 OK\r\n\r\n', 'bad_status_line');
    refuses('HTTP/1.1 099 X\r\n\r\n', 'bad_status_line');
    refuses('HTTP/1.1  200 OK\r\n\r\n', 'bad_status_line');
    refuses('HTTP/1.1 200OK\r\n\r\n', 'bad_status_line');
    refuses('HTTP/1.1 200 O\x00K\r\n\r\n', 'bad_status_line');
    refuses('HTTP/1.1 200 OK\rX: y\r\n\r\n', 'bare_cr');
    refuses('HTTP/1.1 200 OK\r\nX: y\nZ: 1\r\n\r\n', 'bare_lf');
    refuses('HTTP/1.1 200 OK\r\n folded\r\n\r\n', 'obs_fold');
    refuses('ICY 200 OK\r\n\r\n', 'bad_version');
    refuses('HTTP/2.0 200 OK\r\n\r\n', 'unsupported_version');
  });

  it('refuses a head larger than the limit with 502', () => {
    assert.throws(
      () => parseResponseHead(Buffer.from(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(300)}\r\n\r\n`), { headRequest: false, maxHeadBytes: 100 }),
      (e: unknown) => e instanceof HttpError && e.code === 'head_too_large' && e.status === 502,
    );
  });
});
