import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpError } from '../../../adapters/http/h1/errors.js';
import { PendingBytes } from '../../../adapters/http/h1/pending.js';
import { parseRequestHead, type RequestHead } from '../../../adapters/http/h1/request-head.js';

const limits = { maxHeadBytes: 8192 };

function parse(text: string, max = limits): RequestHead {
  const head = parseRequestHead(Buffer.from(text, 'latin1'), max);
  assert.ok(head, 'head should be complete');
  return head;
}

function refuses(text: string, code: string, status: number): void {
  assert.throws(
    () => parseRequestHead(Buffer.from(text, 'latin1'), limits),
    (err: unknown) => err instanceof HttpError && err.code === code && err.status === status,
    `expected ${code}/${status} for ${JSON.stringify(text)}`,
  );
}

describe('parseRequestHead', () => {
  it('parses the request line, host and end of head', () => {
    const text = 'GET /a/b?c=d HTTP/1.1\r\nHost: Example.TEST:8443\r\nAccept: */*\r\n\r\nBODY';
    const h = parse(text);
    assert.equal(h.method, 'GET');
    assert.equal(h.target, '/a/b?c=d');
    assert.equal(h.path, '/a/b?c=d');
    assert.equal(h.version, 11);
    assert.equal(h.authority, 'Example.TEST:8443');
    assert.equal(h.host, 'example.test');
    assert.equal(h.end, text.indexOf('BODY'));
    assert.equal(h.body, 'none');
    assert.equal(h.keepAlive, true);
    assert.equal(h.header('accept'), '*/*');
    assert.equal(h.header('ACCEPT'), '*/*');
    assert.equal(h.header('missing'), undefined);
  });

  it('returns undefined until the head is complete', () => {
    assert.equal(parseRequestHead(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n'), limits), undefined);
    assert.equal(parseRequestHead(Buffer.from(''), limits), undefined);
    assert.equal(parseRequestHead(Buffer.from('\r\n'), limits), undefined);
  });

  it('ignores empty lines before the request line (RFC 9112 §2.2)', () => {
    const h = parse('\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.equal(h.start, 4);
    assert.equal(h.method, 'GET');
  });

  it('parses a head split at every byte the same as whole', () => {
    const text = 'POST /upload HTTP/1.1\r\nHost: app.test\r\nContent-Length: 11\r\nX-A: 1\r\n\r\nhello world';
    const whole = parse(text);
    const bytes = Buffer.from(text, 'latin1');
    for (let split = 0; split <= bytes.length; split++) {
      const pending = new PendingBytes();
      pending.append(bytes.subarray(0, split));
      let scanFrom = 0;
      let head = parseRequestHead(pending.view(), limits, scanFrom);
      if (!head) {
        assert.ok(split < whole.end, `head missing at split ${split}`);
        scanFrom = pending.length;
        pending.append(bytes.subarray(split));
        head = parseRequestHead(pending.view(), limits, scanFrom);
      }
      assert.ok(head);
      assert.equal(head.end, whole.end, `split ${split}`);
      assert.equal(head.contentLength, 11);
      assert.equal(head.header('x-a'), '1');
    }
  });

  it('frames a body by Content-Length and by chunked', () => {
    assert.equal(parse('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 42\r\n\r\n').body, 'length');
    assert.equal(parse('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n').body, 'none');
    const chunked = parse('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n');
    assert.equal(chunked.body, 'chunked');
    assert.equal(chunked.fields.transferCodings, 'gzip, chunked');
  });

  it('accepts repeated identical Content-Length values as one (RFC 9112 §6.3)', () => {
    const h = parse('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5, 5\r\n\r\n');
    assert.equal(h.contentLength, 5);
  });

  it('decides persistence per version and Connection', () => {
    assert.equal(parse('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n').keepAlive, false);
    assert.equal(parse('GET / HTTP/1.0\r\n\r\n').keepAlive, false);
    assert.equal(parse('GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n').keepAlive, true);
    assert.equal(parse('GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, x-custom\r\n\r\n').fields.connectionOther?.[0], 'x-custom');
  });

  it('recognises an upgrade request only with Connection: upgrade on HTTP/1.1', () => {
    assert.equal(parse('GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n').upgrade, true);
    assert.equal(parse('GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n').upgrade, false);
    assert.equal(parse('GET / HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n').upgrade, false);
  });

  it('recognises Expect: 100-continue on HTTP/1.1 and ignores it on HTTP/1.0', () => {
    assert.equal(parse('PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n').expectContinue, true);
    assert.equal(parse('PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n').expectContinue, false);
  });

  it('takes the host from an absolute-form target (RFC 9112 §3.2.2)', () => {
    const h = parse('GET http://Other.Test:81/x?y HTTP/1.1\r\nHost: ignored.test\r\n\r\n');
    assert.equal(h.authority, 'Other.Test:81');
    assert.equal(h.host, 'other.test');
    assert.equal(h.path, '/x?y');
    assert.equal(parse('GET https://a.test HTTP/1.1\r\nHost: a.test\r\n\r\n').path, '/');
  });

  it('accepts OPTIONS * and IPv6 literal hosts', () => {
    assert.equal(parse('OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n').path, '*');
    assert.equal(parse('GET / HTTP/1.1\r\nHost: [2001:DB8::1]:8443\r\n\r\n').host, '2001:db8::1');
  });

  it('accepts HTTP/1.0 without Host', () => {
    const h = parse('GET / HTTP/1.0\r\n\r\n');
    assert.equal(h.authority, '');
    assert.equal(h.host, '');
  });
});

describe('request smuggling defences', () => {
  it('refuses Transfer-Encoding together with Content-Length (te_with_content_length)', () => {
    refuses('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n', 'te_with_content_length', 400);
    refuses('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n', 'te_with_content_length', 400);
  });

  it('refuses conflicting Content-Length values (conflicting_content_length)', () => {
    refuses('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n', 'conflicting_content_length', 400);
    refuses('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\n', 'conflicting_content_length', 400);
  });

  it('refuses invalid Content-Length values (bad_content_length)', () => {
    for (const v of ['-1', '+5', '0x10', '5 5', '5;', '', 'abc', '1e3', '99999999999999999999', '5,']) {
      refuses(`POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${v}\r\n\r\n`, 'bad_content_length', 400);
    }
  });

  it('refuses unknown transfer codings with 501 (unknown_transfer_coding)', () => {
    refuses('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n', 'unknown_transfer_coding', 501);
    refuses('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity, chunked\r\n\r\n', 'unknown_transfer_coding', 501);
    refuses('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;foo=bar\r\n\r\n', 'unknown_transfer_coding', 501);
    refuses('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "chunked"\r\n\r\n', 'unknown_transfer_coding', 501);
  });

  it('refuses a request whose final coding is not chunked (chunked_not_final)', () => {
    refuses('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n', 'chunked_not_final', 400);
    refuses('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \r\n\r\n', 'chunked_not_final', 400);
  });

  it('refuses chunked applied twice, in one or several field lines (chunked_twice)', () => {
    refuses('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n', 'chunked_twice', 400);
    refuses('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n', 'chunked_twice', 400);
  });

  it('refuses Transfer-Encoding in an HTTP/1.0 request (te_in_http10)', () => {
    refuses('POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n', 'te_in_http10', 400);
  });

  it('refuses obsolete line folding (obs_fold)', () => {
    refuses('GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n  continued\r\n\r\n', 'obs_fold', 400);
    refuses('GET / HTTP/1.1\r\nHost: a\r\n\tTransfer-Encoding: chunked\r\n\r\n', 'obs_fold', 400);
  });

  it('refuses whitespace between a field name and its colon (bad_field_name)', () => {
    refuses('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n', 'bad_field_name', 400);
    refuses('GET / HTTP/1.1\r\nHost: a\r\n: empty\r\n\r\n', 'bad_field_name', 400);
    refuses('GET / HTTP/1.1\r\nHost: a\r\nBad\x01Name: x\r\n\r\n', 'bad_field_name', 400);
  });

  it('refuses a bare CR (bare_cr)', () => {
    refuses('GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\rX-B: 2\r\n\r\n', 'bare_cr', 400);
    refuses('GET / HTTP/1.1\rHost: a\r\n\r\n', 'bare_cr', 400);
  });

  it('refuses a bare LF as a line terminator (bare_lf)', () => {
    refuses('GET / HTTP/1.1\r\nHost: a\nX-A: 1\r\n\r\n', 'bare_lf', 400);
    refuses('GET / HTTP/1.1\nHost: a\r\n\r\n', 'bare_lf', 400);
  });

  it('refuses control bytes in field values (bad_field_value)', () => {
    refuses('GET / HTTP/1.1\r\nHost: a\r\nX-A: a\x00b\r\n\r\n', 'bad_field_value', 400);
    refuses('GET / HTTP/1.1\r\nHost: a\r\nX-A: a\x7fb\r\n\r\n', 'bad_field_value', 400);
  });

  it('refuses an HTTP/1.1 request without Host (missing_host)', () => {
    refuses('GET / HTTP/1.1\r\nX-A: 1\r\n\r\n', 'missing_host', 400);
  });

  it('refuses more than one Host (duplicate_host)', () => {
    refuses('GET / HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n', 'duplicate_host', 400);
  });

  it('refuses malformed hosts (bad_host)', () => {
    for (const h of ['a b', 'a/b', 'user@a', 'a:x', '[::1', 'a]', '']) refuses(`GET / HTTP/1.1\r\nHost: ${h}\r\n\r\n`, 'bad_host', 400);
  });

  it('refuses malformed request lines (bad_request_line)', () => {
    refuses('GET  / HTTP/1.1\r\nHost: a\r\n\r\n', 'bad_request_line', 400);
    refuses('GET /a b HTTP/1.1\r\nHost: a\r\n\r\n', 'bad_version', 400);
    refuses('GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n', 'bad_request_line', 400);
    refuses('GET /#frag HTTP/1.1\r\nHost: a\r\n\r\n', 'bad_request_line', 400);
    refuses('G(T / HTTP/1.1\r\nHost: a\r\n\r\n', 'bad_request_line', 400);
    refuses('GET / HTTP/1.1 \r\nHost: a\r\n\r\n', 'bad_request_line', 400);
  });

  it('refuses versions other than HTTP/1.x (bad_version, unsupported_version)', () => {
    refuses('GET / http/1.1\r\nHost: a\r\n\r\n', 'bad_version', 400);
    refuses('GET / HTTP/2.0\r\nHost: a\r\n\r\n', 'unsupported_version', 505);
  });

  it('refuses request-target forms the method does not allow (bad_target)', () => {
    refuses('GET * HTTP/1.1\r\nHost: a\r\n\r\n', 'bad_target', 400);
    refuses('GET a.test:443 HTTP/1.1\r\nHost: a\r\n\r\n', 'bad_target', 400);
    refuses('GET http://user@a.test/ HTTP/1.1\r\nHost: a\r\n\r\n', 'bad_target', 400);
  });

  it('refuses CONNECT with 501 (unsupported_method)', () => {
    refuses('CONNECT a.test:443 HTTP/1.1\r\nHost: a.test:443\r\n\r\n', 'unsupported_method', 501);
  });

  it('refuses expectations other than 100-continue with 417 (expectation_failed)', () => {
    refuses('GET / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n', 'expectation_failed', 417);
  });

  it('refuses a head larger than the limit with 431 (head_too_large)', () => {
    const big = `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'x'.repeat(200)}\r\n\r\n`;
    assert.throws(() => parseRequestHead(Buffer.from(big), { maxHeadBytes: 100 }), (e: unknown) => e instanceof HttpError && e.code === 'head_too_large' && e.status === 431);
    // also while incomplete: no unbounded buffering
    assert.throws(() => parseRequestHead(Buffer.from(big.slice(0, 150)), { maxHeadBytes: 100 }), (e: unknown) => e instanceof HttpError && e.status === 431);
  });

  it('refuses more field lines than the field limit with 431 (too_many_fields)', () => {
    const many = `GET / HTTP/1.1\r\nHost: a\r\n${'X: y\r\n'.repeat(300)}\r\n`;
    refuses(many, 'too_many_fields', 431);
  });
});
