// Sections about the process itself: listen, admin, bus, log, limits, node_id, fleet_key_file.
import type { Checker, Obj } from '../checker.js';
import type { AdminConfig, BusConfig, LimitsConfig, ListenConfig, LogConfig } from '../model.js';

export const defaults = {
  listen: '127.0.0.1:8443',
  admin: '127.0.0.1:9090',
  busUrl: 'memory://',
  logDir: './.tlsedge/events',
};

export function checkListen(c: Checker, value: unknown): ListenConfig[] {
  const items = c.list(['listen'], value) ?? [{ address: defaults.listen }];
  const out: ListenConfig[] = [];
  items.forEach((item, i) => {
    const raw = typeof item === 'string' ? { address: item } : item;
    const o = c.object(['listen', i], raw, ['address']);
    if (!o || !c.required(['listen', i, 'address'], o.address)) return;
    const hp = c.hostPort(['listen', i, 'address'], o.address);
    if (hp) out.push({ ...hp, address: String(o.address) });
  });
  if (items.length === 0) c.issue(['listen'], 'needs at least one address');
  return out;
}

export function checkAdmin(c: Checker, value: unknown): AdminConfig {
  if (value === false) return { address: null };
  const o = c.object(['admin'], value, ['address']);
  if (o && (o.address === null || o.address === false)) return { address: null };
  const hp = c.hostPort(['admin', 'address'], o?.address ?? defaults.admin);
  return { address: hp ?? null };
}

export function checkBus(c: Checker, value: unknown): BusConfig {
  const o = c.object(['bus'], value, ['url', 'creds', 'nkey', 'user', 'password_env', 'tls']) ?? {};
  const url = c.string(['bus', 'url'], o.url, defaults.busUrl);
  let transport: BusConfig['transport'] = 'memory';
  let servers: string[] = [];
  if (url === 'memory://' || url === 'memory') {
    transport = 'memory';
  } else {
    servers = url.split(',').map((s) => s.trim()).filter(Boolean);
    if (servers.every((s) => /^(nats|tls):\/\/[^\s/]+$/.test(s))) transport = 'nats';
    else c.issue(['bus', 'url'], `expected memory:// or nats://host:port (comma-separated for a cluster), got ${JSON.stringify(url)}`);
  }
  const bus: BusConfig = { url, transport, servers };
  const creds = c.file(['bus', 'creds'], o.creds);
  if (creds) bus.credsFile = creds;
  const nkey = c.file(['bus', 'nkey'], o.nkey);
  if (nkey) bus.nkeySeedFile = nkey;
  const user = c.string(['bus', 'user'], o.user);
  if (user) bus.user = user;
  const pw = c.string(['bus', 'password_env'], o.password_env);
  if (pw) bus.passwordEnv = pw;
  const tls = c.object(['bus', 'tls'], o.tls, ['ca', 'cert', 'key']);
  if (tls) {
    bus.tls = {};
    const ca = c.file(['bus', 'tls', 'ca'], tls.ca);
    const cert = c.file(['bus', 'tls', 'cert'], tls.cert);
    const key = c.file(['bus', 'tls', 'key'], tls.key);
    if (ca) bus.tls.ca = ca;
    if (cert) bus.tls.cert = cert;
    if (key) bus.tls.key = key;
  }
  return bus;
}

export function checkLog(c: Checker, value: unknown): LogConfig {
  const o = c.object(['log'], value, ['dir', 'segment_size', 'fsync', 'fsync_interval', 'max_segments', 'stream', 'max_age']) ?? {};
  return {
    dir: c.file(['log', 'dir'], o.dir ?? defaults.logDir, false)!,
    segmentBytes: c.size(['log', 'segment_size'], o.segment_size, 64 * 1024 * 1024),
    fsync: c.oneOf(['log', 'fsync'], o.fsync, ['interval', 'always', 'never'] as const, 'interval'),
    fsyncIntervalMs: c.duration(['log', 'fsync_interval'], o.fsync_interval, 1000),
    maxSegments: c.int(['log', 'max_segments'], o.max_segments, 0),
    stream: c.string(['log', 'stream'], o.stream, 'TLSEDGE_EVENTS'),
    maxAgeMs: c.duration(['log', 'max_age'], o.max_age, 7 * 86_400_000),
  };
}

export function checkLimits(c: Checker, value: unknown): LimitsConfig {
  const o = c.object(['limits'], value, ['max_connections', 'hello_timeout', 'max_hello_size', 'handshake_timeout', 'idle_timeout', 'max_header_size']) ?? {};
  return {
    maxConnections: c.int(['limits', 'max_connections'], o.max_connections, 10_000, 1),
    helloTimeoutMs: c.duration(['limits', 'hello_timeout'], o.hello_timeout, 10_000),
    maxHelloBytes: c.size(['limits', 'max_hello_size'], o.max_hello_size, 16 * 1024),
    handshakeTimeoutMs: c.duration(['limits', 'handshake_timeout'], o.handshake_timeout, 10_000),
    idleTimeoutMs: c.duration(['limits', 'idle_timeout'], o.idle_timeout, 60_000),
    maxHeaderBytes: c.size(['limits', 'max_header_size'], o.max_header_size, 16 * 1024),
  };
}

export function checkTopLevelScalars(c: Checker, root: Obj): { nodeId: string | undefined; fleetKeyFile: string | undefined } {
  const nodeId = c.string(['node_id'], root.node_id);
  if (nodeId !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(nodeId)) c.issue(['node_id'], 'may only contain letters, digits, _ and - (it becomes a NATS subject token)');
  return { nodeId, fleetKeyFile: c.file(['fleet_key_file'], root.fleet_key_file) };
}
