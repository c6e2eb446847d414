// `tlsedge config check FILE`: validates the file and loads every certificate and key it names,
// so a bad config is found before a deploy, with the file, line and key path of each problem.
import { createSecureContext } from 'node:tls';
import { loadConfigFile, proxyConfigProblem } from '../adapters/config/load.js';
import { KeyMaterialStore } from '../adapters/tls/native/key-material.js';
import { CliError } from './errors.js';
import { OffloadPolicies, configUsesOffload } from '../actors/proxy/offload-policy.js';

export async function runConfigCheck(file: string): Promise<void> {
  const config = await loadConfigFile(file);
  const keys = new KeyMaterialStore();
  const problems: string[] = [];
  // Not an error: a config may be meant for `run signer`, `run session-store` or `run key-rotation`.
  const note = proxyConfigProblem(config) ? '\n  note: no certificate to terminate TLS with, so `up` and `run proxy` will refuse this config' : '';
  for (const cert of config.certificates) {
    if (cert.key.kind !== 'file') continue;
    try {
      const material = keys.get(cert);
      createSecureContext({ cert: material.cert, key: material.key });
    } catch (err) {
      const msg = (err as Error).message;
      problems.push(/key values mismatch/i.test(msg) ? `certificates[${cert.index}] (${cert.id}): the key does not belong to the certificate` : msg);
    }
  }
  // Offload names (engine: offload, signer-held keys): chains, key/certificate pairs, TLS 1.3 rules.
  if (configUsesOffload(config)) {
    try {
      new OffloadPolicies(config, undefined).prepare();
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (problems.length) throw new CliError(`${config.file}: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`, 2);
  process.stdout.write(
    `${config.file}: ok — ${config.listen.length} listener(s), ${config.certificates.length} certificate(s), ${config.sni.length} sni rule(s), ${config.origins.length} origin rule(s), ${config.signers.length} signer(s); bus ${config.bus.url}${note}\n`,
  );
}
