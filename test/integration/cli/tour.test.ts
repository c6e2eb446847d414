// The README's five-minute tour as a test: `up --demo` prints curl commands that work, `events`
// shows one request's CloudEvents live, and `replay` says `same` — then `different` for a copy of
// the config whose certificate changed.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { createPrivateKey } from 'node:crypto';
import { buildCertificate } from '../../../adapters/x509/certificate.js';
import { generateDevKey } from '../../../adapters/x509/dev-pki.js';
import { keyObjectSigner } from '../../../adapters/x509/key-signer.js';
import type { AnyEvent } from '../../../bus/envelope.js';
import { runCli, startCli } from '../../support/cli.js';
import { freePort, tempDir, waitForOutput, type Started } from '../../support/processes.js';
import { missingTools } from '../../support/requirements.js';

const exec = promisify(execFile);

describe('the tour: up --demo, events, replay', { skip: missingTools('curl', 'openssl') }, () => {
  let up: Started;
  let stateDir: string;
  let curlCommands: string[];
  let port: number;

  before(async () => {
    stateDir = tempDir('tlsedge-tour-');
    port = await freePort();
    const admin = await freePort();
    up = startCli(['up', '--demo', '--state-dir', stateDir, '--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${admin}`]);
    const out = await waitForOutput(up, (o) => o.includes('Press Ctrl-C'), 30_000);
    curlCommands = out.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('curl '));
  });

  after(async () => {
    await up?.stop();
  });

  it('prints curl commands that reach the demo origin over TLS 1.3 for a.localhost and b.localhost', async () => {
    assert.equal(curlCommands.length, 2);
    for (const [i, name] of ['a.localhost', 'b.localhost'].entries()) {
      const args = curlCommands[i]!.split(/\s+/).slice(1);
      const { stdout } = await exec('curl', ['-sS', '-w', '\n%{http_code} %{ssl_verify_result}', ...args]);
      assert.match(stdout, new RegExp(`^hello from the tlsedge demo origin\\nhost: ${name.replace('.', '\\.')}:${port}`));
      assert.match(stdout, /\n200 0$/);
    }
  });

  it('shows each name its own certificate and unknown names the default (openssl s_client)', async () => {
    const subject = async (servername: string) => {
      const { stdout } = await exec('sh', ['-c', `openssl s_client -connect 127.0.0.1:${port} -servername ${servername} </dev/null 2>/dev/null | grep -E '^subject='`]);
      return stdout.trim();
    };
    assert.equal(await subject('a.localhost'), 'subject=CN = a.localhost');
    assert.equal(await subject('b.localhost'), 'subject=CN = b.localhost');
    assert.equal(await subject('unknown.example'), 'subject=CN = localhost');
  });

  it('streams one request as CloudEvents with one correlation id (events --follow --json)', async () => {
    const follow = startCli(['events', '--follow', '--json', '--state-dir', stateDir]);
    try {
      await waitForOutput(follow, (o) => o.includes('following '), 20_000); // subscribed: nothing after this is missed
      const args = curlCommands[0]!.split(/\s+/).slice(1);
      await exec('curl', ['-sS', '-o', '/dev/null', ...args.slice(0, -1), args.at(-1)!.replace(/\/$/, '/followed')]);
      const text = await waitForOutput(follow, (o) => o.includes('tlsedge.connection.closed'), 10_000);
      // stdout carries only JSON lines; the merged output also has the stderr announcement.
      const events = text.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as AnyEvent);
      const id = events.find((e) => (e.data as { path?: string }).path === '/followed')!.correlationid;
      const mine = events.filter((e) => e.correlationid === id).map((e) => e.type.replace('tlsedge.connection.', ''));
      assert.deepEqual(mine, ['accepted', 'client_hello_received', 'policy_selected', 'handshake_completed', 'origin_bound', 'request_completed', 'closed']);
    } finally {
      await follow.stop();
    }
  });

  it('replays the last connection: timeline, statechart, `same`; `different` for a changed copy', async () => {
    const args = curlCommands[1]!.split(/\s+/).slice(1);
    await exec('curl', ['-sS', '-o', '/dev/null', ...args]);
    await new Promise((r) => setTimeout(r, 300));
    const same = await runCli(['replay', '--last', '--state-dir', stateDir]);
    assert.equal(same.code, 0, same.stderr);
    assert.match(same.stdout, /statechart: accept → handshaking → established → originBound → closed/);
    assert.match(same.stdout, /\nsame\n$/);

    // A copy of the demo config with b.localhost's certificate replaced by a new one.
    const demoDir = join(stateDir, 'demo');
    const ca = createPrivateKey(readFileSync(join(demoDir, 'ca.key')));
    const key = generateDevKey('ec-p256');
    const caSpki = (await import('node:crypto')).createPublicKey(ca).export({ type: 'spki', format: 'der' });
    const cert = await buildCertificate({ subject: { commonName: 'b.localhost' }, issuer: { commonName: 'tlsedge demo CA', organization: 'tlsedge' }, subjectPublicKey: key.spki, issuerPublicKey: caSpki, dnsNames: ['b.localhost'] }, keyObjectSigner(ca));
    writeFileSync(join(stateDir, 'b2.pem'), cert.pem);
    writeFileSync(join(stateDir, 'b2.key'), key.keyPem);
    const copy = readFileSync(join(demoDir, 'tlsedge.yaml'), 'utf8').replace(join(demoDir, 'b.localhost.pem'), join(stateDir, 'b2.pem')).replace(join(demoDir, 'b.localhost.key'), join(stateDir, 'b2.key'));
    writeFileSync(join(stateDir, 'copy.yaml'), copy);
    const different = await runCli(['replay', '--last', '--state-dir', stateDir, '--config', join(stateDir, 'copy.yaml')]);
    assert.equal(different.code, 0, different.stderr);
    assert.match(different.stdout, /DIFFERENT {2}certificate: b\.localhost \(sha256 [0-9a-f]+…\) → b\.localhost \(sha256 [0-9a-f]+…\)/);
    assert.match(different.stdout, /\ndifferent: certificate/);
  });

  it('validates a config file with `config check` and names the key path of a problem', async () => {
    const good = await runCli(['config', 'check', join(stateDir, 'demo', 'tlsedge.yaml')]);
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stdout, /ok — 1 listener\(s\), 3 certificate\(s\)/);
    const badFile = join(stateDir, 'bad.yaml');
    writeFileSync(badFile, 'listen: [{ address: 127.0.0.1:8443 }]\ncertificates:\n  - names: [x.test]\n    cert: nope.pem\n    key: nope.key\n');
    const bad = await runCli(['config', 'check', badFile]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /bad\.yaml:4:5: certificates\[0\]\.cert: file not found or not readable: nope\.pem/);
  });
});
