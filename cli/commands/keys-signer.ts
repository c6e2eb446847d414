// `tlsedge keys generate|list`: keys held by a configured signer. Generation happens inside the
// token (the private key never exists outside it). Heavy modules load only when a command runs.
import type { Command } from 'commander';
import type { SignerConfig } from '../../adapters/config/model.js';
import type { Signer } from '../../adapters/signer/signer.js';
import type { GenerateKeyType } from '../../adapters/signer/backend.js';

/** Options every signer-using command accepts: a config file, or the token given inline. */
export interface SignerCliOptions {
  signer?: string;
  config?: string;
  module?: string;
  token?: string;
  slot?: string;
  pinEnv?: string;
  pinFile?: string;
}

export function addSignerOptions(command: Command): Command {
  return command
    .option('-c, --config <file>', 'tlsedge.yaml holding the signer (default ./tlsedge.yaml when it exists)')
    .option('--module <path>', 'PKCS#11 module, when the signer is not in a config file')
    .option('--token <label>', 'token label (with --module)')
    .option('--slot <id>', 'slot id instead of --token')
    .option('--pin-env <var>', 'environment variable holding the user PIN (with --module)')
    .option('--pin-file <file>', 'file holding the user PIN (with --module)');
}

export function registerSignerKeyCommands(keys: Command): void {
  addSignerOptions(
    keys
      .command('generate')
      .description('generate a key pair inside a signer\'s token')
      .requiredOption('-s, --signer <name>', 'signer name from the config (or a name for an inline --module signer)')
      .requiredOption('-l, --label <label>', 'label of the new key (CKA_LABEL)')
      .option('-t, --type <type>', 'ec-p256 | ec-p384 | rsa2048 | rsa3072 | ed25519', 'ec-p256')
      .option('--id <hex>', 'CKA_ID of the new key (default: 8 random bytes)'),
  ).action(async (options: SignerCliOptions & { label: string; type: string; id?: string }) => {
    await generateKeyCommand(options);
  });

  addSignerOptions(
    keys
      .command('list')
      .description('list the private keys a signer holds (id, label, algorithm, schemes, pkcs11 URI)')
      .requiredOption('-s, --signer <name>', 'signer name')
      .option('--json', 'one JSON object per key'),
  ).action(async (options: SignerCliOptions & { json?: boolean }) => {
    await listKeysCommand(options);
  });
}

// ---- implementation (runs only when a command does) ----

/** Progress on stderr, so stdout stays clean for PEM and JSON. */
export function progress(message: string): void {
  process.stderr.write(`tlsedge: ${message}\n`);
}

/** The signer's settings: from the config file, or inline (--module/--token/--pin-*). */
export async function signerSettings(name: string, options: SignerCliOptions): Promise<SignerConfig> {
  const { CliError } = await import('../errors.js');
  if (options.module !== undefined) {
    return {
      index: 0,
      name,
      type: 'pkcs11',
      module: options.module,
      ...(options.token !== undefined ? { token: options.token } : {}),
      ...(options.slot !== undefined ? { slot: Number(options.slot) } : {}),
      ...(options.pinEnv !== undefined ? { pinEnv: options.pinEnv } : {}),
      ...(options.pinFile !== undefined ? { pinFile: options.pinFile } : {}),
      workers: 1,
      maxQueue: 16,
      perKeyConcurrency: 1,
      timeoutMs: 60_000,
      keys: [],
      env: {},
    };
  }
  const { existsSync } = await import('node:fs');
  const file = options.config ?? (existsSync('tlsedge.yaml') ? 'tlsedge.yaml' : undefined);
  if (!file) throw new CliError(`signer ${name}: give --config FILE (or --module/--token/--pin-env for a token not in a config)`, 2);
  const { loadConfigFile } = await import('../../adapters/config/load.js');
  const config = await loadConfigFile(file);
  const found = config.signers.find((s) => s.name === name);
  if (!found) throw new CliError(`${file}: no signer named ${JSON.stringify(name)} (have: ${config.signers.map((s) => s.name).join(', ') || 'none'})`, 2);
  // Tooling may wait for a slow token; the serving timeout is for handshakes.
  return { ...found, workers: 1, timeoutMs: Math.max(found.timeoutMs, 60_000) };
}

/** Opens a signer for a command, failing with its first error (a CLI does not retry in the background). */
export async function openCliSigner(name: string, options: SignerCliOptions): Promise<Signer> {
  const settings = await signerSettings(name, options);
  const [{ applySignerEnv }, { createSigner }] = await Promise.all([import('../../adapters/signer/env.js'), import('../../adapters/signer/signer.js')]);
  applySignerEnv([settings]);
  const what = settings.type === 'pkcs11' ? `token ${settings.token !== undefined ? JSON.stringify(settings.token) : `in slot ${settings.slot}`} (${settings.module})` : `${settings.keys.length} key file(s)`;
  progress(`opening signer ${name}: ${what} …`);
  const t0 = performance.now();
  const signer = await createSigner(settings);
  try {
    await signer.start({ waitReady: true });
  } catch (err) {
    await signer.close();
    throw err;
  }
  progress(`signer ${name} ready in ${Math.round(performance.now() - t0)} ms`);
  return signer;
}

const generateTypes = ['ec-p256', 'ec-p384', 'rsa2048', 'rsa3072', 'ed25519'] as const;

export async function generateKeyCommand(options: SignerCliOptions & { signer?: string; label: string; type: string; id?: string }): Promise<void> {
  const { CliError } = await import('../errors.js');
  if (!(generateTypes as readonly string[]).includes(options.type)) throw new CliError(`--type must be one of ${generateTypes.join(', ')}`, 2);
  if (options.id !== undefined && !/^([0-9a-fA-F]{2})+$/.test(options.id)) throw new CliError('--id must be hex bytes', 2);
  const signer = await openCliSigner(options.signer!, options);
  try {
    progress(`generating ${options.type} key ${JSON.stringify(options.label)} inside the token …`);
    const t0 = performance.now();
    const key = await signer.generateKey(options.label, options.type as GenerateKeyType, options.id?.toLowerCase());
    progress(`generated in ${Math.round(performance.now() - t0)} ms`);
    process.stdout.write(await describeKey(signer, key));
  } finally {
    await signer.close();
  }
}

export async function listKeysCommand(options: SignerCliOptions & { signer?: string; json?: boolean }): Promise<void> {
  const signer = await openCliSigner(options.signer!, options);
  try {
    const keys = await signer.keys();
    if (options.json) {
      const { keyInfoToJson } = await import('../../adapters/signer/keys.js');
      for (const key of keys) process.stdout.write(JSON.stringify(keyInfoToJson(key)) + '\n');
    } else {
      for (const key of keys) process.stdout.write(await describeKey(signer, key));
      if (keys.length === 0) progress(`signer ${signer.name} holds no private keys`);
    }
  } finally {
    await signer.close();
  }
}

async function describeKey(signer: Signer, key: import('../../adapters/signer/keys.js').KeyInfo): Promise<string> {
  const { formatPkcs11Uri } = await import('../../adapters/signer/pkcs11/uri.js');
  const lines = [`${key.label}  id=${key.id}  ${key.algorithm}`, `  schemes: ${key.schemes.join(', ')}`];
  if (signer.kind === 'pkcs11' && !key.id.startsWith('label:')) {
    const token = signer.tokenLabel;
    lines.push(`  uri: ${formatPkcs11Uri({ ...(token !== undefined ? { token } : {}), object: key.label, id: Buffer.from(key.id, 'hex'), type: 'private' })}`);
  }
  lines.push(`  reference: signer:${signer.name}/${key.label}`);
  if (key.facts) {
    const f = key.facts;
    lines.push(`  generated in token: ${f.local ?? 'unknown'}, never extractable: ${f.neverExtractable ?? 'unknown'}, sensitive: ${f.sensitive ?? 'unknown'}`);
  }
  if (key.certificate) lines.push('  certificate: stored with the key');
  return lines.join('\n') + '\n';
}
