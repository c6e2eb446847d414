import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PendingBytes } from '../../../adapters/http/h1/pending.js';
import { localResponse } from '../../../adapters/http/proxy/local-response.js';

describe('PendingBytes', () => {
  it('keeps a single chunk as a view without copying', () => {
    const p = new PendingBytes();
    const chunk = Buffer.from('GET / HTTP/1.1\r\n');
    p.append(chunk);
    assert.equal(p.view().buffer, chunk.buffer);
    assert.equal(p.view().byteOffset, chunk.byteOffset);
  });

  it('joins chunks in order and consumes from the front', () => {
    const p = new PendingBytes();
    for (const part of ['ab', 'cd', 'ef', 'gh']) p.append(Buffer.from(part));
    assert.equal(p.view().toString(), 'abcdefgh');
    p.consume(3);
    assert.equal(p.view().toString(), 'defgh');
    p.append(Buffer.from('ij'));
    assert.equal(p.view().toString(), 'defghij');
    assert.equal(p.take().toString(), 'defghij');
    assert.equal(p.length, 0);
  });

  it('never overwrites bytes already handed out as a view', () => {
    const p = new PendingBytes();
    p.append(Buffer.from('first-'));
    p.append(Buffer.from('head'));
    const handedOut = p.view();
    const before = handedOut.toString();
    p.consume(handedOut.length);
    for (let i = 0; i < 100; i++) p.append(Buffer.from(`more-${i}-`));
    assert.equal(handedOut.toString(), before);
    const second = p.view();
    p.consume(4);
    p.append(Buffer.from('x'.repeat(10_000)));
    assert.equal(second.subarray(0, 7).toString(), 'more-0-');
  });
});

describe('localResponse', () => {
  it('builds a framed plain-text answer, with Connection: close when asked and no body for HEAD', () => {
    const text = localResponse(404, false).toString('latin1');
    const [head, body] = text.split('\r\n\r\n');
    assert.match(head!, /^HTTP\/1\.1 404 Not Found\r\n/);
    assert.equal(Number(/Content-Length: (\d+)/.exec(head!)?.[1]), Buffer.byteLength(body!));
    assert.doesNotMatch(head!, /Connection/);
    assert.match(localResponse(502, true).toString('latin1'), /\r\nConnection: close\r\n/);
    assert.ok(localResponse(421, false, true).toString('latin1').endsWith('\r\n\r\n'));
  });
});
