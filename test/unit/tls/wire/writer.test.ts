import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TlsError } from '../../../../adapters/tls/wire/errors.js';
import { Writer } from '../../../../adapters/tls/wire/writer.js';

describe('Writer', () => {
  it('writes integers big-endian and patches vector lengths', () => {
    const w = new Writer(4);
    w.u8(1).u16(0x0203).u24(0x040506).u32(0x0708090a);
    w.vector(2, (v) => v.bytes(new Uint8Array([0xaa, 0xbb, 0xcc])));
    assert.deepEqual([...w.finish()], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 3, 0xaa, 0xbb, 0xcc]);
  });

  it('gives each writer its own result although work buffers are reused', () => {
    const first = new Writer();
    first.bytes(new Uint8Array(300).fill(7));
    const a = first.finish();
    const second = new Writer(); // takes the buffer `first` gave back
    second.u8(9);
    const b = second.finish();
    assert.equal(a.length, 300);
    assert.ok(a.every((x) => x === 7), 'the first result is untouched by the second writer');
    assert.deepEqual([...b], [9], 'no stale bytes of the first writer');
  });

  it('keeps writers that are open at the same time apart', () => {
    const outer = new Writer();
    outer.u8(1);
    const inner = new Writer();
    inner.u8(2).u8(3);
    outer.bytes(inner.finish());
    const again = new Writer(); // may take inner's buffer while outer is still open
    again.u8(0xff);
    outer.u8(4);
    assert.deepEqual([...outer.finish()], [1, 2, 3, 4]);
    assert.deepEqual([...again.finish()], [0xff]);
  });

  it('refuses to be used after finish()', () => {
    const w = new Writer();
    w.u8(1);
    w.finish();
    assert.throws(() => w.finish(), /called twice/);
    assert.throws(() => w.u8(2), /after finish/);
  });

  it('refuses a vector longer than its length prefix', () => {
    assert.throws(
      () => new Writer().vector(1, (v) => v.bytes(new Uint8Array(256))),
      (err) => err instanceof TlsError && err.code === 'internal_error',
    );
  });
});
