import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CertificateConfig, SniRule } from '../../../adapters/config/model.js';
import { DEFAULT_RULE, selectPolicy } from '../../../actors/connection/policy.js';
import { routeRequest } from '../../../actors/connection/routing.js';
import { configFromObject } from '../../../adapters/config/load.js';
import { DEFAULT_ALPN } from '../../../adapters/config/sections/sni.js';

const cert = (index: number, names: string[], isDefault = false): CertificateConfig => ({
  index, id: names[0]!, names, cert: `/c/${names[0]}.pem`, key: { kind: 'file', path: `/c/${names[0]}.key` }, default: isDefault,
});
const rule = (index: number, match: string, extra: Partial<SniRule> = {}): SniRule => ({ ...DEFAULT_RULE, index, match, ...extra });

describe('policy selection', () => {
  const certificates = [cert(0, ['localhost'], true), cert(1, ['a.test']), cert(2, ['*.wild.test'])];

  it('picks the exact certificate, then a one-label wildcard, then the default', () => {
    assert.equal(selectPolicy({ sni: [], certificates }, 'a.test').facts.certificate, 'a.test');
    assert.equal(selectPolicy({ sni: [], certificates }, 'x.wild.test').facts.certificateBy, 'wildcard');
    const deep = selectPolicy({ sni: [], certificates }, 'y.x.wild.test').facts;
    assert.deepEqual([deep.certificate, deep.certificateBy], ['localhost', 'default'], 'X.509 wildcards cover one label only');
    assert.deepEqual([selectPolicy({ sni: [], certificates }, null).facts.certificate], ['localhost']);
  });

  it('uses the first matching sni rule and says how it matched', () => {
    const sni = [rule(0, 'a.test', { alpn: ['http/1.1'] }), rule(1, '*.test', { alpn: ['h2'] }), rule(2, '*')];
    assert.deepEqual(pick(sni, 'a.test'), [0, 'exact', 'http/1.1']);
    assert.deepEqual(pick(sni, 'deep.b.test'), [1, 'wildcard', 'h2']);
    const defaultAlpn = DEFAULT_ALPN.join(',');
    assert.deepEqual(pick(sni, 'other.example'), [2, 'catch_all', defaultAlpn]);
    assert.deepEqual(pick(sni, null), [2, 'catch_all', defaultAlpn]);
    assert.deepEqual(pick([], 'a.test'), [-1, 'default', defaultAlpn]);
    function pick(rules: SniRule[], name: string | null) {
      const f = selectPolicy({ sni: rules, certificates }, name).facts;
      return [f.rule, f.matchedBy, f.alpn.join(',')];
    }
  });

  it('gives identical policies the same id and different ones different ids', () => {
    const sni = [rule(0, 'a.test'), rule(1, 'b.test'), rule(2, 'c.test', { clientCert: { mode: 'require', ca: '/ca.pem', forwardHeaders: false } })];
    const shared = [cert(0, ['a.test', 'b.test', 'c.test'], true)];
    const id = (n: string) => selectPolicy({ sni, certificates: shared }, n).facts.policyId;
    assert.equal(id('a.test'), id('b.test'));
    assert.notEqual(id('a.test'), id('c.test'));
  });

  it('does not serve a certificate for a tunnel rule', () => {
    const f = selectPolicy({ sni: [rule(0, 'pass.test', { tunnel: { host: '127.0.0.1', port: 9 } })], certificates }, 'pass.test').facts;
    assert.deepEqual([f.certificate, f.certificateBy, f.tunnel], [null, 'none', '127.0.0.1:9']);
  });
});

describe('origin routing', () => {
  const config = configFromObject(
    {
      origins: [
        { match: { host: 'a.test', path_prefix: '/api' }, to: 'http://127.0.0.1:1' },
        { match: { host: '*.test' }, to: 'http://127.0.0.1:2' },
        { match: {}, to: 'http://127.0.0.1:3/base/' },
      ],
      sni: [{ match: 'x.test', tunnel: '127.0.0.1:1' }],
    },
    '/',
  );

  it('matches host and path prefix at segment boundaries, first rule wins', () => {
    assert.equal(routeRequest(config, 'a.test', '/api/v1')?.rule.index, 0);
    assert.equal(routeRequest(config, 'a.test', '/api?x=1')?.rule.index, 0);
    assert.equal(routeRequest(config, 'a.test', '/apix')?.rule.index, 1);
    assert.equal(routeRequest(config, 'other.example', '/')?.rule.to.basePath, '/base');
  });
});
