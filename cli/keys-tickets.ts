// The ticket-key commands' implementation: ask the key-rotation leader over NATS, open or seal key
// material with the fleet key locally, and print ids, epochs and times — never key bytes.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { loadConfigFile } from '../adapters/config/load.js';
import { formatDuration } from '../adapters/config/units.js';
import { loadFleetKey } from '../adapters/crypto/fleet-key.js';
import { Sealer } from '../adapters/crypto/seal.js';
import { formatTicketKeyFile, readTicketKeyFile } from '../adapters/crypto/ticket-key-file.js';
import { keyAad, keyRotationSubjects as subjects, type ExportReply, type ImportedReply, type KeyStatusReply, type RotateReply } from '../actors/key-rotation/commands.js';
import { BusError } from '../bus/bus.js';
import type { Json } from '../bus/envelope.js';
import { connectNatsBus, type NatsBus } from '../bus/nats/transport.js';
import { CliError } from './errors.js';

interface Opts {
  config: string;
}

async function withLeader<T>(opts: Opts, fn: (ask: (subject: string, data?: Json) => Promise<Json>, sealer: Sealer) => Promise<T>): Promise<T> {
  const config = await loadConfigFile(opts.config);
  if (config.bus.transport !== 'nats') throw new CliError('ticket-key commands talk to the key-rotation actor over NATS: set bus.url: nats://… in the config (embedded `tlsedge up` rotates by itself)');
  const sealer = new Sealer(loadFleetKey(config.fleetKeyFile).bytes, 'ticket-key');
  let bus: NatsBus;
  try {
    bus = await connectNatsBus(config.bus, { name: 'tlsedge-cli-keys' });
  } catch (err) {
    throw new CliError(`${(err as Error).message} — is nats-server running?`);
  }
  const ask = async (subject: string, data: Json = {}): Promise<Json> => {
    try {
      return await bus.request(subject, data, { timeoutMs: 5000 });
    } catch (err) {
      if (err instanceof BusError && (err.code === 'no_responders' || err.code === 'timeout')) throw new CliError('no key-rotation leader answered: start one with `tlsedge run key-rotation --config FILE`');
      if (err instanceof BusError && err.code === 'remote_error') throw new CliError(`key-rotation: ${err.message}${err.remoteCode ? ` [${err.remoteCode}]` : ''}`);
      throw err;
    }
  };
  try {
    return await fn(ask, sealer);
  } finally {
    await bus.close();
  }
}

export async function keysStatus(opts: Opts & { json?: boolean }): Promise<void> {
  const s = (await withLeader(opts, (ask) => ask(subjects.status))) as unknown as KeyStatusReply;
  if (opts.json) {
    process.stdout.write(JSON.stringify(s, null, 2) + '\n');
    return;
  }
  process.stdout.write(formatKeyStatus(s));
}

export function formatKeyStatus(s: KeyStatusReply): string {
  const lines: string[] = [];
  lines.push(`ticket keys: ${s.rotation === 'static' ? 'static key file (no rotation)' : `rotating every ${formatDuration(s.rotateEveryMs)}`}; leader ${s.leader ?? '-'} (term ${s.term}, revision ${s.revision})`);
  lines.push('  epoch  key            status   staged                    activated                 acknowledged by');
  for (const k of s.keys) {
    const acks = k.acks.join(',') || '-';
    const missing = k.missing?.length ? `  (timed out waiting for ${k.missing.join(',')})` : '';
    lines.push(`  ${String(k.epoch).padStart(5)}  ${k.id.padEnd(14)} ${k.status.padEnd(8)} ${k.stagedAt.padEnd(25)} ${(k.activatedAt ?? '-').padEnd(25)} ${acks}${missing}`);
  }
  for (const r of s.removed.slice(0, 3)) lines.push(`  ${String(r.epoch).padStart(5)}  ${r.id.padEnd(14)} removed  ${r.removedAt} (${r.reason})`);
  lines.push(`proxies (${s.proxies.length}):`);
  for (const p of [...s.proxies].sort((a, b) => a.node.localeCompare(b.node))) {
    lines.push(`  ${p.node.padEnd(24)} encrypts with epoch ${p.encryptingEpoch ?? '-'}; holds epochs ${p.heldEpochs.join(',') || '-'}; seen ${p.lastSeenMsAgo} ms ago`);
  }
  return lines.join('\n') + '\n';
}

export async function keysRotate(opts: Opts & { wait?: boolean }): Promise<void> {
  await withLeader(opts, async (ask) => {
    const r = (await ask(subjects.rotate)) as unknown as RotateReply;
    process.stdout.write(`staged key ${r.keyId} (epoch ${r.epoch}); it encrypts once every live proxy holds it\n`);
    if (!opts.wait) return;
    const deadline = Date.now() + 120_000;
    for (;;) {
      const s = (await ask(subjects.status)) as unknown as KeyStatusReply;
      const k = s.keys.find((x) => x.id === r.keyId);
      if (k?.status === 'active') {
        process.stdout.write(`key ${r.keyId} (epoch ${r.epoch}) is active${k.missing?.length ? ` — after the wait; not acknowledged by ${k.missing.join(', ')}` : ''}\n`);
        return;
      }
      if (!k) throw new CliError(`key ${r.keyId} left the block before it activated`);
      if (Date.now() > deadline) throw new CliError(`key ${r.keyId} is still ${k.status} after 2 minutes`);
      await new Promise((res) => setTimeout(res, 250));
    }
  });
}

export async function keysExport(file: string, opts: Opts): Promise<void> {
  await withLeader(opts, async (ask, sealer) => {
    const reply = (await ask(subjects.export)) as unknown as ExportReply;
    if (reply.keys.length === 0) throw new CliError('the block has no active or retired key yet');
    const keys = reply.keys.map((k) => sealer.open(k.sealed, keyAad(k.id)));
    const bytes = formatTicketKeyFile(keys);
    writeFileSync(file, bytes, { mode: 0o600 });
    for (const k of keys) k.fill(0);
    bytes.fill(0);
    process.stdout.write(`wrote ${reply.keys.length} keys to ${file} (epochs ${reply.keys.map((k) => `${k.epoch}${k.status === 'active' ? '*' : ''}`).join(', ')}; * encrypts)\n`);
  });
}

export async function keysImport(file: string, opts: Opts): Promise<void> {
  const keys = readTicketKeyFile(file);
  await withLeader(opts, async (ask, sealer) => {
    const request = keys.map((material) => {
      const id = `i${randomBytes(6).toString('hex')}`;
      return { id, sealed: sealer.seal(material, keyAad(id)) };
    });
    for (const k of keys) k.fill(0);
    const reply = (await ask(subjects.import, { keys: request })) as unknown as ImportedReply;
    process.stdout.write(`imported ${reply.keys.length} keys: ${reply.keys.map((k) => `${k.id} epoch ${k.epoch} ${k.status}`).join('; ')}\n`);
  });
}
