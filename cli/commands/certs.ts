// `tlsedge certs self-sign|csr|import-p12`: certificates for keys held by a signer (the signature
// comes from the token) or by a key file. Heavy modules load only when a command runs.
import type { Command } from 'commander';
import { addSignerOptions, type SignerCliOptions } from './keys-signer.js';

export interface CertCliOptions extends SignerCliOptions {
  key: string;
  names?: string;
  ip?: string;
  cn?: string;
  org?: string;
  days?: string;
  out?: string;
  ca?: boolean;
  store?: boolean;
}

export function register(program: Command): void {
  const certs = program.command('certs').description('certificates and CSRs for keys in signers (TPM, HSM) or files');
  addSignerOptions(
    certs
      .command('self-sign')
      .description('a self-signed X.509 certificate for a key (PEM on stdout or --out)')
      .requiredOption('-k, --key <ref>', 'signer:NAME/LABEL (also signer:NAME/id:HEX or signer:NAME/pkcs11:…), or a key file')
      .option('-n, --names <list>', 'DNS names, comma-separated (the first is the CN)')
      .option('--ip <list>', 'IP addresses for subjectAltName, comma-separated')
      .option('--cn <name>', 'subject common name (default: the first name)')
      .option('--org <name>', 'subject organisation')
      .option('--days <n>', 'validity in days', '365')
      .option('--ca', 'make it a CA certificate (basicConstraints CA:TRUE, keyCertSign)')
      .option('--store', 'also store the certificate in the token next to the key')
      .option('-o, --out <file>', 'write the PEM here instead of stdout'),
  ).action(async (options: CertCliOptions) => {
    await selfSignCommand(options);
  });

  addSignerOptions(
    certs
      .command('csr')
      .description('a PKCS#10 certificate signing request for a key (PEM)')
      .requiredOption('-k, --key <ref>', 'signer:NAME/LABEL or a key file')
      .option('-n, --names <list>', 'DNS names, comma-separated (the first is the CN)')
      .option('--ip <list>', 'IP addresses, comma-separated')
      .option('--cn <name>', 'subject common name')
      .option('--org <name>', 'subject organisation')
      .option('-o, --out <file>', 'write the PEM here instead of stdout'),
  ).action(async (options: CertCliOptions) => {
    await csrCommand(options);
  });

  addSignerOptions(
    certs
      .command('import-p12')
      .description('import a PKCS#12 file: into a token (--signer, --label) or as PEM files (--out-dir)')
      .argument('<file>', 'the .p12 / .pfx file')
      .option('--password-env <var>', 'environment variable holding the PKCS#12 password (default: empty password)')
      .option('-s, --signer <name>', 'import the key (and certificate) into this signer\'s token')
      .option('-l, --label <label>', 'label for the imported key (default: the file\'s friendly name)')
      .option('--out-dir <dir>', 'write key.pem (PKCS#8, mode 0600) and cert.pem (leaf + chain) here'),
  ).action(async (file: string, options: SignerCliOptions & { passwordEnv?: string; label?: string; outDir?: string }) => {
    await importP12Command(file, options);
  });
}

// ---- implementation (runs only when a command does) ----

function list(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/** `signer:NAME/REF` → a token key; anything else is a key file (a one-key software signer). */
async function openKey(options: CertCliOptions) {
  const { CliError } = await import('../errors.js');
  const { openCliSigner, progress } = await import('./keys-signer.js');
  const { signerCertificateSigner } = await import('../../adapters/signer/certificate-signer.js');
  let signer;
  let ref: string;
  const m = /^signer:([A-Za-z0-9_-]+)\/(.+)$/.exec(options.key);
  if (m) {
    signer = await openCliSigner(m[1]!, options);
    ref = m[2]!;
  } else if (options.key.startsWith('signer:')) {
    throw new CliError('--key signer:NAME/LABEL (e.g. signer:tpm0/edge)', 2);
  } else {
    const { createSigner } = await import('../../adapters/signer/signer.js');
    signer = await createSigner({ name: 'file', type: 'software', workers: 1, maxQueue: 4, perKeyConcurrency: 1, timeoutMs: 60_000, keys: [{ label: 'key', file: options.key }] });
    await signer.start({ waitReady: true });
    ref = 'key';
  }
  try {
    const { certSigner, key } = await signerCertificateSigner(signer, ref);
    progress(`key ${JSON.stringify(key.label)} (${key.algorithm}, id ${key.id}) signs with ${certSigner.algorithm}`);
    return { signer, certSigner, key };
  } catch (err) {
    await signer.close();
    throw err;
  }
}

async function writeOutput(pemText: string, out: string | undefined): Promise<void> {
  if (out) {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(out, pemText);
    const { progress } = await import('./keys-signer.js');
    progress(`wrote ${out}`);
  } else {
    process.stdout.write(pemText);
  }
}

export async function selfSignCommand(options: CertCliOptions): Promise<void> {
  const { CliError } = await import('../errors.js');
  const names = list(options.names);
  const ips = list(options.ip);
  const commonName = options.cn ?? names[0] ?? ips[0];
  if (!commonName) throw new CliError('give --names (or --cn / --ip)', 2);
  const days = Number(options.days ?? '365');
  if (!Number.isInteger(days) || days < 1 || days > 36500) throw new CliError('--days must be a whole number of days (1–36500)', 2);
  const { signer, certSigner, key } = await openKey(options);
  try {
    const { buildCertificate } = await import('../../adapters/x509/certificate.js');
    const { progress } = await import('./keys-signer.js');
    const subject = { commonName, ...(options.org ? { organization: options.org } : {}) };
    const notBefore = new Date(Date.now() - 5 * 60_000);
    progress('signing the certificate with the key …');
    const cert = await buildCertificate(
      {
        subject,
        issuer: subject,
        subjectPublicKey: key.spki!,
        issuerPublicKey: key.spki!,
        dnsNames: names,
        ipAddresses: ips,
        notBefore,
        notAfter: new Date(notBefore.getTime() + days * 86_400_000),
        ...(options.ca ? { isCa: true } : {}),
      },
      certSigner,
    );
    if (options.store) {
      await signer.storeCertificate(key, cert.der);
      progress(`stored the certificate in the token with key ${JSON.stringify(key.label)}`);
    }
    await writeOutput(cert.pem, options.out);
  } finally {
    await signer.close();
  }
}

export async function csrCommand(options: CertCliOptions): Promise<void> {
  const { CliError } = await import('../errors.js');
  const names = list(options.names);
  const ips = list(options.ip);
  const commonName = options.cn ?? names[0] ?? ips[0];
  if (!commonName) throw new CliError('give --names (or --cn / --ip)', 2);
  const { signer, certSigner, key } = await openKey(options);
  try {
    const { buildCsr } = await import('../../adapters/x509/csr.js');
    const csr = await buildCsr({ subject: { commonName, ...(options.org ? { organization: options.org } : {}) }, subjectPublicKey: key.spki!, dnsNames: names, ipAddresses: ips }, certSigner);
    await writeOutput(csr.pem, options.out);
  } finally {
    await signer.close();
  }
}

export async function importP12Command(file: string, options: SignerCliOptions & { passwordEnv?: string; label?: string; outDir?: string }): Promise<void> {
  const { CliError } = await import('../errors.js');
  const { progress, openCliSigner } = await import('./keys-signer.js');
  if (!options.signer === !options.outDir) throw new CliError('give either --signer NAME (import into its token) or --out-dir DIR (write PEM files)', 2);
  const password = options.passwordEnv !== undefined ? process.env[options.passwordEnv] : '';
  if (password === undefined) throw new CliError(`environment variable ${options.passwordEnv} (--password-env) is not set`, 2);
  const [{ readFile, writeFile, mkdir }, { readPkcs12Identity, Pkcs12Error }, { pem }, { join }] = await Promise.all([
    import('node:fs/promises'),
    import('../../adapters/x509/pkcs12.js'),
    import('../../adapters/x509/der.js'),
    import('node:path'),
  ]);
  let identity;
  try {
    identity = readPkcs12Identity(await readFile(file), password);
  } catch (err) {
    if (err instanceof Pkcs12Error) throw new CliError(`${file}: ${err.message}`, 2);
    throw err;
  }
  progress(`${file}: a private key, ${identity.certificate ? 'its certificate' : 'no matching certificate'}, ${identity.chain.length} more certificate(s)`);
  if (options.outDir) {
    await mkdir(options.outDir, { recursive: true });
    const keyFile = join(options.outDir, 'key.pem');
    await writeFile(keyFile, pem('PRIVATE KEY', identity.pkcs8), { mode: 0o600 });
    const certs = [identity.certificate, ...identity.chain].filter((c): c is Buffer => c !== undefined);
    if (certs.length > 0) await writeFile(join(options.outDir, 'cert.pem'), certs.map((c) => pem('CERTIFICATE', c)).join(''));
    progress(`wrote ${keyFile}${certs.length ? ` and ${join(options.outDir, 'cert.pem')}` : ''}`);
    return;
  }
  const label = options.label ?? identity.friendlyName;
  if (!label) throw new CliError('the file names no key (friendlyName): give --label', 2);
  const signer = await openCliSigner(options.signer!, options);
  try {
    progress(`importing key ${JSON.stringify(label)} into the token …`);
    const key = await signer.importKey(label, identity.pkcs8, identity.certificate);
    process.stdout.write(`${key.label}  id=${key.id}  ${key.algorithm}${key.certificate ? '  (with certificate)' : ''}\n  reference: signer:${signer.name}/${key.label}\n`);
  } finally {
    await signer.close();
  }
}
