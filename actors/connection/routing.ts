// Origin routing: the first `origins` rule whose host pattern and path prefix match a request.
// Pure, shared by the live request path and `replay`.
import type { OriginRule, TlsedgeConfig } from '../../adapters/config/model.js';
import { matchRulePattern } from './names.js';

export interface Route {
  rule: OriginRule;
}

export function routeRequest(config: Pick<TlsedgeConfig, 'origins'>, host: string, path: string): Route | undefined {
  for (const rule of config.origins) {
    if (rule.match.host !== undefined && !matchRulePattern(rule.match.host, host)) continue;
    if (!pathHasPrefix(path, rule.match.pathPrefix)) continue;
    return { rule };
  }
  return undefined;
}

/** `/api` matches `/api`, `/api/x` and `/api?q`, not `/apix`; a prefix ending in `/` is plain. */
function pathHasPrefix(path: string, prefix: string): boolean {
  if (prefix === '/' || prefix === '') return true;
  if (!path.startsWith(prefix)) return false;
  if (prefix.endsWith('/') || path.length === prefix.length) return true;
  const next = path.charCodeAt(prefix.length);
  return next === 0x2f /* / */ || next === 0x3f /* ? */;
}
