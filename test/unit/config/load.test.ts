import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../adapters/config/errors.js';
import { loadConfigFile, parseConfigText } from '../../../adapters/config/load.js';
import { tempDir } from '../../support/processes.js';

function fixtureDir(): string {
  const dir = tempDir('tlsedge-config-');
  writeFileSync(join(dir, 'a.pem'), 'cert');
  writeFileSync(join(dir, 'a.key'), 'key');
  return dir;
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ConfigError');
}

describe('config loading', () => {
  it('accepts a few-line config and fills every default', () => {
    const dir = fixtureDir();
    const file = join(dir, 'tlsedge.yaml');
    const config = parseConfigText('certificates:\n  - names: [a.test]\n    cert: a.pem\n    key: a.key\n', file);
    assert.deepEqual(config.listen, [{ host: '127.0.0.1', port: 8443, address: '127.0.0.1:8443' }]);
    assert.deepEqual(config.admin.address, { host: '127.0.0.1', port: 9090 });
    assert.equal(config.bus.transport, 'memory');
    assert.equal(config.log.dir, join(dir, '.tlsedge/events'));
    assert.equal(config.session.tickets.rotateEveryMs, 12 * 3600_000);
    assert.equal(config.session.cache.ttlMs, 5 * 60_000);
    assert.equal(config.certificates[0]!.cert, join(dir, 'a.pem'));
    assert.equal(config.certificates[0]!.default, true, 'the only certificate is the default');
  });

  it('names the file, line, key path and nearest valid key for an unknown key', () => {
    const dir = fixtureDir();
    const file = join(dir, 'tlsedge.yaml');
    const err = errorOf(() => parseConfigText('certificates:\n  - names: [a.test]\n    cert: a.pem\n    key: a.key\n    defualt: true\n', file));
    assert.equal(err.issues.length, 1);
    assert.equal(err.issues[0]!.path, 'certificates[0].defualt');
    assert.equal(err.issues[0]!.line, 5);
    assert.match(err.message, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5:5: certificates\\[0\\]\\.defualt: unknown key "defualt" \\(did you mean "default"\\?\\)`));
  });

  it('reports every problem in one error', () => {
    const dir = fixtureDir();
    const err = errorOf(() =>
      parseConfigText(
        'listen: [{ address: "nohost" }]\nsession:\n  tickets: { rotate_every: soon }\ncertificates:\n  - names: [a.test]\n    cert: missing.pem\n    key: a.key\n',
        join(dir, 'x.yaml'),
      ),
    );
    const paths = err.issues.map((i) => i.path);
    assert.deepEqual(paths, ['listen[0].address', 'session.tickets.rotate_every', 'certificates[0].cert']);
    assert.match(err.issues[2]!.message, /file not found or not readable: missing\.pem/);
  });

  it('requires a fleet key file when the bus is NATS', () => {
    const dir = fixtureDir();
    const err = errorOf(() => parseConfigText('bus: { url: "nats://127.0.0.1:4222" }\ncertificates: [{ names: [a.test], cert: a.pem, key: a.key }]\n', join(dir, 'c.yaml')));
    assert.equal(err.issues[0]!.path, 'fleet_key_file');
    assert.match(err.issues[0]!.message, /head -c 32 \/dev\/urandom/);
  });

  it('rejects a certificate whose signer is not defined', () => {
    const dir = fixtureDir();
    const err = errorOf(() => parseConfigText('certificates: [{ names: [a.test], cert: a.pem, key: { signer: tpm0, label: edge } }]\n', join(dir, 'c.yaml')));
    assert.equal(err.issues[0]!.path, 'certificates[0].key.signer');
  });

  it('parses sni rules with versions written as numbers and a client-cert CA', () => {
    const dir = fixtureDir();
    const config = parseConfigText(
      'certificates: [{ names: [a.test], cert: a.pem, key: a.key }]\nsni:\n  - match: "*.Example.test"\n    alpn: [http/1.1]\n    tls: { min: 1.3 }\n    client_cert: { mode: require, ca: a.pem }\n',
      join(dir, 'c.yaml'),
    );
    const rule = config.sni[0]!;
    assert.equal(rule.match, '*.example.test');
    assert.deepEqual(rule.tls, { min: '1.3', max: '1.3' });
    assert.equal(rule.clientCert.mode, 'require');
    assert.equal(rule.clientCert.ca, join(dir, 'a.pem'));
  });

  it('turns YAML syntax errors into a located ConfigError', () => {
    const err = errorOf(() => parseConfigText('listen: [\n', '/tmp/bad.yaml'));
    assert.match(err.message, /^\/tmp\/bad\.yaml:\d+:\d+: \(top level\): YAML syntax/);
  });

  it('says what to do when the file does not exist', async () => {
    await assert.rejects(loadConfigFile('/nonexistent/tlsedge.yaml'), (err: ConfigError) => /file not found.*--demo/.test(err.message));
  });
});
