import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Outbox } from '../../../bus/log/outbox.js';

describe('Outbox', () => {
  it('behaves as a FIFO bounded by its capacity through pushes and shifts that wrap around', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.array(fc.oneof(fc.constant('shift'), fc.nat(1000))), (capacity, ops) => {
        const box = new Outbox<number>(capacity, 2);
        const model: number[] = [];
        for (const op of ops) {
          if (op === 'shift') assert.equal(box.shift(), model.shift());
          else assert.equal(box.push(op), model.length < capacity ? (model.push(op), true) : false);
          assert.equal(box.size, model.length);
          assert.equal(box.peek(), model[0]);
          for (let i = 0; i < model.length; i++) assert.equal(box.at(i), model[i]);
          assert.equal(box.at(model.length), undefined);
        }
      }),
    );
  });

  it('refuses a non-positive capacity', () => {
    assert.throws(() => new Outbox(0), RangeError);
  });
});
