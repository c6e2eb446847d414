// Loads tlsedge.yaml: YAML syntax, schema, defaults and cross-references, all reported at once
// with file, line and key path (CONFIG.md). The result is the normalized TlsedgeConfig.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { Checker, type Obj } from './checker.js';
import { ConfigError } from './errors.js';
import type { TlsedgeConfig } from './model.js';
import { checkCertificates } from './sections/certificates.js';
import { checkOrigins } from './sections/origins.js';
import { checkAdmin, checkBus, checkLimits, checkListen, checkLog, checkTopLevelScalars } from './sections/runtime.js';
import { checkSession } from './sections/session.js';
import { checkSigners } from './sections/signers.js';
import { checkSni } from './sections/sni.js';

export const TOP_LEVEL_KEYS = ['node_id', 'listen', 'admin', 'bus', 'log', 'fleet_key_file', 'limits', 'session', 'certificates', 'sni', 'origins', 'signers'] as const;

export async function loadConfigFile(path: string): Promise<TlsedgeConfig> {
  const file = resolve(path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(file, [{ path: '', message: code === 'ENOENT' ? 'file not found (pass --config FILE, or run `tlsedge up --demo` to try tlsedge without one)' : `cannot read: ${(err as Error).message}` }]);
  }
  return parseConfigText(text, file);
}

export function parseConfigText(text: string, file: string): TlsedgeConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return { path: '', message: `YAML syntax: ${e.message.split('\n')[0]}`, line: pos.line, column: pos.col };
      }),
    );
  }
  const checker = new Checker(dirname(file), doc, lines);
  const config = checkConfig(checker, doc.toJS() ?? {}, file);
  if (checker.issues.length > 0) throw new ConfigError(file, checker.issues);
  return config;
}

/** Validates a config given as a plain object (tests, the demo). Relative paths resolve against `baseDir`. */
export function configFromObject(value: unknown, baseDir: string, label = '(built-in config)'): TlsedgeConfig {
  const checker = new Checker(baseDir);
  const config = checkConfig(checker, value, undefined);
  if (checker.issues.length > 0) throw new ConfigError(label, checker.issues);
  return config;
}

function checkConfig(c: Checker, value: unknown, file: string | undefined): TlsedgeConfig {
  const root: Obj = c.object([], value, TOP_LEVEL_KEYS) ?? {};
  const { nodeId, fleetKeyFile } = checkTopLevelScalars(c, root);
  const config: TlsedgeConfig = {
    file,
    baseDir: c.baseDir,
    nodeId,
    listen: checkListen(c, root.listen),
    admin: checkAdmin(c, root.admin),
    bus: checkBus(c, root.bus),
    log: checkLog(c, root.log),
    fleetKeyFile,
    limits: checkLimits(c, root.limits),
    session: checkSession(c, root.session),
    certificates: checkCertificates(c, root.certificates),
    sni: checkSni(c, root.sni),
    origins: checkOrigins(c, root.origins),
    signers: checkSigners(c, root.signers),
  };
  checkReferences(c, config);
  return config;
}

function checkReferences(c: Checker, config: TlsedgeConfig): void {
  if (config.bus.transport === 'nats' && !config.fleetKeyFile) {
    c.issue(['fleet_key_file'], 'is required when bus.url is nats:// (secrets crossing the bus are sealed with it); create one with `head -c 32 /dev/urandom > fleet.key`');
  }
  const signers = new Set(config.signers.map((s) => s.name));
  for (const cert of config.certificates) {
    if (cert.key.kind === 'signer' && !signers.has(cert.key.signer)) {
      c.issue(['certificates', cert.index, 'key', 'signer'], `no signer named ${JSON.stringify(cert.key.signer)} in \`signers\`${signers.size ? ` (have: ${[...signers].join(', ')})` : ''}`);
    }
  }
  const certNames = new Set(config.certificates.flatMap((x) => [...x.names, x.id]));
  for (const rule of config.sni) {
    if (rule.certificate && !certNames.has(rule.certificate)) {
      c.issue(['sni', rule.index, 'certificate'], `no certificate with name ${JSON.stringify(rule.certificate)} in \`certificates\``);
    }
  }
}

/** Why a proxy cannot serve this config (no certificate for names it must terminate), or undefined. */
export function proxyConfigProblem(config: TlsedgeConfig): string | undefined {
  const needsCertificates = config.sni.length === 0 || config.sni.some((r) => !r.tunnel);
  if (needsCertificates && config.certificates.length === 0) {
    return `${config.file ?? 'config'}: certificates: a proxy needs at least one certificate to terminate TLS (or make every \`sni\` rule a \`tunnel\`)`;
  }
  return undefined;
}
