// Host name patterns shared by `certificates.names`, `sni.match` and `origins.match.host`:
// an exact name, `*.suffix` (one or more labels, like a certificate wildcard extended to depth), or `*`.
import type { Checker, Path } from '../checker.js';

const label = '[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?';
const namePattern = new RegExp(`^(?:\\*|\\*\\.${label}(?:\\.${label})*|${label}(?:\\.${label})*)$`);

export function checkNamePattern(c: Checker, path: Path, value: unknown): string | undefined {
  const s = c.string(path, value);
  if (s === undefined) return undefined;
  const lower = s.toLowerCase().replace(/\.$/, '');
  if (!namePattern.test(lower)) {
    c.issue(path, `expected a host name, "*.suffix" or "*", got ${JSON.stringify(s)}`);
    return undefined;
  }
  return lower;
}
