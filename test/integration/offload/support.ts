// Helpers for the offload suites: real `openssl s_client` runs (with the alert the client got),
// curl, and the recorded connections read back from live events.
import { execFile } from 'node:child_process';
import type { AnyEvent } from '../../../bus/envelope.js';

export interface SClientRun {
  output: string;
  /** `New, TLSv1.3, Cipher is …` / `Reused, …`. */
  line: string;
  reused: boolean;
  /** The TLS version and cipher the client reports, e.g. `TLSv1.3` / `TLS_AES_128_GCM_SHA256`. */
  version: string;
  cipher: string;
  /** The alert the client received (`SSL alert number 80` → 80), if any. */
  alert: number | undefined;
  /** The HTTP response text the client printed (stdout after the handshake). */
  verified: boolean;
}

export interface SClientArgs {
  servername: string;
  ca: string;
  tls?: '1.2' | '1.3';
  groups?: string;
  ciphersuites?: string;
  sessOut?: string;
  sessIn?: string;
  cert?: string;
  key?: string;
  alpn?: string;
  /** Sent after the handshake (default: a GET with Connection: close). */
  request?: string;
  /** Extra arguments. */
  extra?: string[];
}

/** One `openssl s_client` connection; keeps reading so TLS 1.3 tickets make it into `-sess_out`. */
export function sclient(port: number, a: SClientArgs): Promise<SClientRun> {
  const args = ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', a.servername, a.tls === '1.2' ? '-tls1_2' : '-tls1_3', '-CAfile', a.ca, '-ign_eof', '-verify_return_error'];
  if (a.groups) args.push('-groups', a.groups);
  if (a.ciphersuites) args.push('-ciphersuites', a.ciphersuites);
  if (a.sessOut) args.push('-sess_out', a.sessOut);
  if (a.sessIn) args.push('-sess_in', a.sessIn);
  if (a.cert) args.push('-cert', a.cert);
  if (a.key) args.push('-key', a.key);
  if (a.alpn) args.push('-alpn', a.alpn);
  if (a.extra) args.push(...a.extra);
  return new Promise((resolve) => {
    const child = execFile('openssl', args, { timeout: 20_000 }, (_err, stdout, stderr) => {
      const output = stdout + stderr;
      const line = /^(New|Reused),.*$/m.exec(output)?.[0] ?? '';
      const m = /(TLSv1\.\d|\(NONE\)), Cipher is (\S+)/.exec(line);
      const alert = /SSL alert number (\d+)/.exec(output)?.[1];
      resolve({
        output,
        line,
        reused: line.startsWith('Reused'),
        version: m?.[1] ?? '',
        cipher: m?.[2] ?? '',
        alert: alert === undefined ? undefined : Number(alert),
        verified: /Verify return code: 0 \(ok\)/.test(output),
      });
    });
    child.stdin!.end(a.request ?? `GET /sclient HTTP/1.1\r\nHost: ${a.servername}\r\nConnection: close\r\n\r\n`);
  });
}

/** curl over TLS 1.3 to 127.0.0.1:port as `name`; resolves with stdout (body + `-w` text) or the failure. */
export function curl(port: number, name: string, ca: string, path: string, args: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'curl',
      ['-sS', '--tlsv1.3', '--cacert', ca, '--resolve', `${name}:${port}:127.0.0.1`, '--max-time', '20', ...args, `https://${name}:${port}${path}`],
      { timeout: 30_000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

export const fact = (e: AnyEvent): string => e.type.replace('tlsedge.connection.', '');

/** Connection events grouped by correlation id, in sequence order. */
export function connections(events: readonly AnyEvent[]): Map<string, AnyEvent[]> {
  const byId = new Map<string, AnyEvent[]>();
  for (const e of events) {
    if (!e.type.startsWith('tlsedge.connection.')) continue;
    let list = byId.get(e.correlationid);
    if (!list) byId.set(e.correlationid, (list = []));
    list.push(e);
  }
  for (const list of byId.values()) list.sort((a, b) => a.sequence - b.sequence);
  return byId;
}

/** Waits for a closed connection whose events satisfy `predicate` (newest first), and returns them. */
export async function closedConnection(events: readonly AnyEvent[], predicate: (events: AnyEvent[]) => boolean, timeoutMs = 10_000): Promise<AnyEvent[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = [...connections(events).values()].reverse();
    const found = all.find((list) => list.some((e) => fact(e) === 'closed') && predicate(list));
    if (found) return found;
    if (Date.now() > deadline) throw new Error('no matching closed connection in the events');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The data of the first event of `name` in a connection's events. */
export function dataOf<T = Record<string, unknown>>(list: readonly AnyEvent[], name: string): T | undefined {
  return list.find((e) => fact(e) === name)?.data as T | undefined;
}

/** A connection whose ClientHello named `sni` and that reached `name`. */
export function bySni(sni: string, name?: string): (list: AnyEvent[]) => boolean {
  return (list) => dataOf<{ sni: string | null }>(list, 'client_hello_received')?.sni === sni && (name === undefined || list.some((e) => fact(e) === name));
}

export { waitFor } from '../../support/wait.js';
