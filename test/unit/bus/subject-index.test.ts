import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SubjectIndex } from '../../../bus/memory/subject-index.js';
import { isValidPattern, isValidSubject, subjectMatches } from '../../../bus/subjects.js';

interface Sub {
  pattern: string;
  queue: string | undefined;
  id: number;
}

const token = fc.constantFrom('a', 'b', 'c', 'evt');
const subject = fc.array(token, { minLength: 1, maxLength: 5 }).map((t) => t.join('.'));
const pattern = fc
  .tuple(fc.array(fc.oneof(token, fc.constant('*')), { minLength: 0, maxLength: 4 }), fc.constantFrom('', 'a', '*', '>'))
  .map(([head, last]) => [...head, last].filter((t) => t !== '').join('.'))
  .filter((p) => p.length > 0);

describe('SubjectIndex', () => {
  it('says "nobody is interested" under a prefix only when no subject below it matches a live pattern', () => {
    const prefix = fc.array(token, { minLength: 1, maxLength: 3 }).map((t) => t.join('.'));
    const tail = fc.array(token, { minLength: 1, maxLength: 3 }).map((t) => t.join('.'));
    fc.assert(
      fc.property(fc.array(pattern, { maxLength: 8 }), fc.array(fc.nat(7)), prefix, fc.array(tail, { minLength: 1, maxLength: 10 }), (patterns, removals, pre, tails) => {
        const index = new SubjectIndex<Sub>();
        const subs = patterns.map((p, id) => ({ pattern: p, queue: undefined, id }));
        for (const s of subs) index.add(s);
        const live = new Set(subs);
        const check = (): void => {
          if (index.interestedIn(pre)) return;
          for (const t of tails) for (const s of live) assert.ok(!subjectMatches(s.pattern, `${pre}.${t}`), `${s.pattern} matches ${pre}.${t}`);
        };
        check();
        for (const r of removals) {
          if (subs.length === 0) break;
          const s = subs[r % subs.length]!;
          index.remove(s);
          live.delete(s);
          check(); // a cached answer must follow the removal
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('answers per prefix: other roots, narrower patterns and removals', () => {
    const index = new SubjectIndex<Sub>();
    assert.equal(index.interestedIn('tlsedge.evt'), false);
    const cmd = { pattern: 'tlsedge.cmd.>', queue: undefined, id: 1 };
    index.add(cmd);
    assert.equal(index.interestedIn('tlsedge.evt'), false);
    const closed = { pattern: 'tlsedge.evt.connection.*.closed', queue: undefined, id: 2 };
    index.add(closed);
    assert.equal(index.interestedIn('tlsedge.evt'), true);
    index.remove(closed);
    assert.equal(index.interestedIn('tlsedge.evt'), false);
    const all = { pattern: '>', queue: 'q', id: 3 };
    index.add(all);
    assert.equal(index.interestedIn('tlsedge.evt'), true);
  });

  for (const cacheSize of [2, 1000]) it(`matches exactly the patterns subjectMatches accepts, through any sequence of adds and removes (cache ${cacheSize})`, () => {
    fc.assert(
      fc.property(fc.array(pattern, { minLength: 1, maxLength: 12 }), fc.array(subject, { minLength: 1, maxLength: 12 }), fc.array(fc.nat(11)), (patterns, subjects, removals) => {
        const index = new SubjectIndex<Sub>(cacheSize);
        const subs = patterns.map((p, id) => ({ pattern: p, queue: undefined, id }));
        for (const s of subs) index.add(s);
        const live = new Set(subs);
        const check = (): void => {
          for (const subj of subjects) {
            const got = index.match(subj)!.plain.map((s) => s.id).sort((x, y) => x - y);
            const want = [...live].filter((s) => subjectMatches(s.pattern, subj)).map((s) => s.id).sort((x, y) => x - y);
            assert.deepEqual(got, want, `subject ${subj}`);
          }
        };
        check(); // fills the cache
        for (const r of removals) {
          const s = subs[r % subs.length]!;
          index.remove(s);
          live.delete(s);
          check(); // cached answers must follow the removal
        }
        for (const s of subs) {
          if (!live.has(s)) {
            index.add(s);
            live.add(s);
          }
        }
        check();
        assert.equal(index.size, subs.length);
      }),
    );
  });

  it('groups queue subscribers by queue name and keeps plain ones apart', () => {
    const index = new SubjectIndex<Sub>();
    index.add({ pattern: 'x.*', queue: 'q1', id: 1 });
    index.add({ pattern: 'x.y', queue: 'q1', id: 2 });
    index.add({ pattern: 'x.>', queue: 'q2', id: 3 });
    index.add({ pattern: 'x.y', queue: undefined, id: 4 });
    const m = index.match('x.y')!;
    assert.deepEqual(m.plain.map((s) => s.id), [4]);
    const groups = Object.fromEntries(m.groups.map((g) => [g.queue, g.members.map((s) => s.id).sort()]));
    assert.deepEqual(groups, { q1: [1, 2], q2: [3] });
    assert.equal(m.empty, false);
  });

  it('returns undefined for subjects that cannot be published', () => {
    const index = new SubjectIndex<Sub>();
    for (const bad of ['', 'a..b', 'a.*', 'a.>', 'a b', '.a']) assert.equal(index.match(bad), undefined, bad);
  });

  it('sees a subscription added after the subject was cached as empty', () => {
    const index = new SubjectIndex<Sub>();
    assert.equal(index.match('late.join')!.empty, true);
    index.add({ pattern: 'late.*', queue: undefined, id: 1 });
    assert.deepEqual(index.match('late.join')!.plain.map((s) => s.id), [1]);
  });
});

describe('isValidSubject / isValidPattern', () => {
  it('accept NATS subjects and patterns and refuse malformed ones', () => {
    for (const s of ['a', 'a.b', 'tlsedge.evt.connection.c-1_x.accepted', '_INBOX.abc.1']) assert.ok(isValidSubject(s), s);
    for (const s of ['', 'a.', '.a', 'a..b', 'a.*', '>', 'a b', 'a\tb']) assert.ok(!isValidSubject(s), s);
    for (const p of ['a', '*', '>', 'a.*.c', 'a.>', '*.*.>']) assert.ok(isValidPattern(p), p);
    for (const p of ['', 'a.>.b', '>.a', 'a*.b', 'a.b>', 'a..b', 'a b']) assert.ok(!isValidPattern(p), p);
  });
});
