// Subject → subscriptions index for the in-memory bus: a token trie (like nats-server's sublist)
// matched once per subject, and a bounded cache so a repeated subject costs one Map lookup.

/** What the index stores; `queue` groups members so one of them gets each message. */
export interface IndexedSubscription {
  readonly pattern: string;
  readonly queue: string | undefined;
}

/** Everything interested in one subject: plain subscribers, and one member list per queue group. */
export interface SubjectMatch<T extends IndexedSubscription> {
  readonly plain: readonly T[];
  readonly groups: ReadonlyArray<{ readonly queue: string; readonly members: readonly T[] }>;
  /** No subscriber at all: lets `request` fail with `no_responders` and `publish` do nothing. */
  readonly empty: boolean;
}

interface TrieNode<T> {
  readonly children: Map<string, TrieNode<T>>;
  star: TrieNode<T> | undefined;
  /** Subscriptions whose pattern ends here. */
  readonly exact: Set<T>;
  /** Subscriptions whose pattern ends with `>` after this node's path. */
  readonly rest: Set<T>;
}

function node<T>(): TrieNode<T> {
  return { children: new Map(), star: undefined, exact: new Set(), rest: new Set() };
}

function hasWildcard(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('>');
}

const WHITESPACE = /\s/;
const EMPTY: SubjectMatch<never> = { plain: [], groups: [], empty: true };

export class SubjectIndex<T extends IndexedSubscription> {
  private readonly root: TrieNode<T> = node();
  private readonly cache = new Map<string, SubjectMatch<T>>();
  /** interestedIn answers per prefix; any add or remove clears them. */
  private readonly interest = new Map<string, boolean>();
  private count = 0;

  /**
   * @param cacheSize subjects remembered; beyond it the cache starts over (per-connection subjects
   *   are seen a handful of times each, so an LRU would cost more than it saves)
   */
  constructor(private readonly cacheSize = 4096) {}

  get size(): number {
    return this.count;
  }

  /** Adds a subscription; its pattern must be valid (`isValidPattern`). */
  add(sub: T): void {
    this.interest.clear();
    const tokens = sub.pattern.split('.');
    let at = this.root;
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i]!;
      if (token === '>') {
        at.rest.add(sub);
        this.count++;
        this.invalidate(sub.pattern);
        return;
      }
      if (token === '*') {
        at.star ??= node();
        at = at.star;
      } else {
        let next = at.children.get(token);
        if (!next) {
          next = node();
          at.children.set(token, next);
        }
        at = next;
      }
    }
    at.exact.add(sub);
    this.count++;
    this.invalidate(sub.pattern);
  }

  /** Removes a subscription added before; unknown ones are ignored. Empty branches are pruned. */
  remove(sub: T): void {
    const tokens = sub.pattern.split('.');
    const path: Array<{ parent: TrieNode<T>; token: string; child: TrieNode<T> }> = [];
    let at = this.root;
    let removed = false;
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i]!;
      if (token === '>') {
        removed = at.rest.delete(sub);
        break;
      }
      const next = token === '*' ? at.star : at.children.get(token);
      if (!next) return;
      path.push({ parent: at, token, child: next });
      at = next;
      if (i === tokens.length - 1) removed = at.exact.delete(sub);
    }
    if (!removed) return;
    this.count--;
    this.interest.clear();
    for (let i = path.length - 1; i >= 0; i--) {
      const { parent, token, child } = path[i]!;
      if (child.exact.size || child.rest.size || child.children.size || child.star) break;
      if (token === '*') parent.star = undefined;
      else parent.children.delete(token);
    }
    this.invalidate(sub.pattern);
  }

  /** Everything whose pattern matches `subject`; undefined when `subject` is not publishable. */
  match(subject: string): SubjectMatch<T> | undefined {
    const cached = this.cache.get(subject);
    if (cached) return cached;
    // validated once per cache miss (inside the walk), so a hot subject is never re-checked
    if (subject.length === 0 || WHITESPACE.test(subject)) return undefined;
    const found: T[] = [];
    if (!collect(this.root, subject, 0, found, this.count > 0)) return undefined;
    const result = group(found);
    // Subjects nobody listens to are mostly one-off (per-connection event subjects): remembering
    // them costs more than the walk, and would push the hot subjects out of the cache.
    if (result.empty) return result;
    if (this.cache.size >= this.cacheSize) this.cache.clear();
    this.cache.set(subject, result);
    return result;
  }

  /**
   * Whether any subscription could match some subject that starts with the literal tokens of
   * `prefix` and has more after them. Publishers of per-connection subjects ask first, so a subject
   * nobody can receive is never built or matched. Cached until the next add or remove.
   */
  interestedIn(prefix: string): boolean {
    let answer = this.interest.get(prefix);
    if (answer === undefined) {
      answer = this.count > 0 && reachesAny(this.root, prefix.split('.'));
      this.interest.set(prefix, answer);
    }
    return answer;
  }

  /** Drops cached results a pattern change affects: one delete for a literal pattern. */
  private invalidate(pattern: string): void {
    if (this.cache.size === 0) return;
    if (!hasWildcard(pattern)) {
      this.cache.delete(pattern);
      return;
    }
    const tokens = pattern.split('.');
    for (const subject of this.cache.keys()) {
      if (tokensMatch(tokens, subject.split('.'))) this.cache.delete(subject);
    }
  }
}

/**
 * Walks the trie along `subject` from token offset `start` without splitting it (a split costs
 * more than the whole walk). Returns false when a token is empty or a wildcard: not publishable.
 */
function collect<T>(at: TrieNode<T>, subject: string, start: number, out: T[], any: boolean): boolean {
  const dot = subject.indexOf('.', start);
  const end = dot === -1 ? subject.length : dot;
  if (end === start) return false;
  if (end - start === 1) {
    const c = subject.charCodeAt(start);
    if (c === 42 /* * */ || c === 62 /* > */) return false;
  }
  if (!any) return dot === -1 || collect(at, subject, dot + 1, out, false);
  // `>` at this node matches the rest (this token and any after it)
  for (const sub of at.rest) out.push(sub);
  const literal = at.children.get(subject.slice(start, end));
  if (dot === -1) {
    if (literal) for (const sub of literal.exact) out.push(sub);
    if (at.star) for (const sub of at.star.exact) out.push(sub);
    return true;
  }
  // keep validating the remaining tokens even where the trie has nothing left to match
  let ok = true;
  if (literal) ok = collect(literal, subject, dot + 1, out, true);
  if (ok && at.star) ok = collect(at.star, subject, dot + 1, out, true);
  if (ok && !literal && !at.star) ok = collect(at, subject, dot + 1, out, false);
  return ok;
}

/** Some subscription below the trie paths that `tokens` (literal) lead to, or a `>` on the way. */
function reachesAny<T>(root: TrieNode<T>, tokens: readonly string[]): boolean {
  let level: Array<TrieNode<T>> = [root];
  for (const token of tokens) {
    const next: Array<TrieNode<T>> = [];
    for (const at of level) {
      if (at.rest.size > 0) return true;
      const literal = at.children.get(token);
      if (literal) next.push(literal);
      if (at.star) next.push(at.star);
    }
    if (next.length === 0) return false;
    level = next;
  }
  return level.some((at) => at.rest.size > 0 || at.exact.size > 0 || at.children.size > 0 || at.star !== undefined);
}

const NO_GROUPS: SubjectMatch<never>['groups'] = [];

function group<T extends IndexedSubscription>(found: T[]): SubjectMatch<T> {
  if (found.length === 0) return EMPTY;
  let queued = false;
  for (const sub of found) if (sub.queue !== undefined) queued = true;
  if (!queued) return { plain: found, groups: NO_GROUPS, empty: false };
  const plain: T[] = [];
  let groups: Map<string, T[]> | undefined;
  for (const sub of found) {
    if (sub.queue === undefined) {
      plain.push(sub);
      continue;
    }
    groups ??= new Map();
    const members = groups.get(sub.queue);
    if (members) members.push(sub);
    else groups.set(sub.queue, [sub]);
  }
  return {
    plain,
    groups: groups ? [...groups].map(([queue, members]) => ({ queue, members })) : [],
    empty: false,
  };
}

function tokensMatch(pattern: string[], subject: string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const token = pattern[i];
    if (token === '>') return subject.length > i;
    if (i >= subject.length) return false;
    if (token !== '*' && token !== subject[i]) return false;
  }
  return pattern.length === subject.length;
}
