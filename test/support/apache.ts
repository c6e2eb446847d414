// A throwaway Apache httpd 2.4 (Debian `apache2`) for tests: name-based SSL virtual hosts on one
// loopback address and port, with its own ServerRoot, pid file, logs and runtime dir in a temp
// directory (no systemd, nothing under /etc/apache2). httpd refuses to serve as root, so when the
// test runs as root the master (which reads the keys) drops its workers to www-data/nogroup, and
// the document roots are made world-readable. Always stop it.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort, start, tempDir, waitForPort, type Started } from './processes.js';

export interface ApacheVhost {
  /** ServerName; the vhost answers GET /name.txt with this name and a newline. */
  name: string;
  certFile: string;
  keyFile: string;
  /** `SSLVerifyClient require` against this CA bundle. */
  requireClientCertCa?: string;
}

export interface RunningApache {
  port: number;
  dir: string;
  /** Access log lines: `<vhost> <keepalive requests before this one on its connection> <status> <TLS protocol> <SNI> <path>`. */
  accessLog(): AccessLine[];
  errorLog(): string;
  stop(): Promise<void>;
}

export interface AccessLine {
  vhost: string;
  /** Requests served earlier on the same connection (%k): 0 means a new connection, i.e. a TLS handshake. */
  keepalive: number;
  status: number;
  protocol: string;
  sni: string;
  path: string;
}

const MODULES = '/usr/lib/apache2/modules';

export async function startApache(vhosts: ApacheVhost[]): Promise<RunningApache> {
  const dir = tempDir('tlsedge-apache-');
  const port = await freePort();
  // workers run as www-data: they must be able to read the document roots and logs' directory
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'run'));
  chmodSync(join(dir, 'run'), 0o777);
  const hosts = vhosts.map((v, i) => {
    const root = join(dir, `www-${i}`);
    mkdirSync(root);
    chmodSync(root, 0o755);
    writeFileSync(join(root, 'name.txt'), `${v.name}\n`, { mode: 0o644 });
    return `<VirtualHost 127.0.0.1:${port}>
  ServerName ${v.name}
  DocumentRoot ${root}
  SSLEngine on
  SSLStrictSNIVHostCheck on
  SSLCertificateFile ${v.certFile}
  SSLCertificateKeyFile ${v.keyFile}
${v.requireClientCertCa ? `  SSLVerifyClient require\n  SSLVerifyDepth 2\n  SSLCACertificateFile ${v.requireClientCertCa}\n` : ''}  CustomLog ${join(dir, 'access.log')} tlsedge
  <Directory ${root}>
    Require all granted
  </Directory>
</VirtualHost>`;
  });
  const asRoot = userInfo().uid === 0;
  const conf = `ServerRoot ${dir}
ServerName localhost
Listen 127.0.0.1:${port}
PidFile ${join(dir, 'run', 'httpd.pid')}
DefaultRuntimeDir ${join(dir, 'run')}
ErrorLog ${join(dir, 'error.log')}
LogLevel warn ssl:info
${asRoot ? 'User www-data\nGroup nogroup' : ''}
LoadModule mpm_event_module ${MODULES}/mod_mpm_event.so
LoadModule authz_core_module ${MODULES}/mod_authz_core.so
LoadModule mime_module ${MODULES}/mod_mime.so
LoadModule ssl_module ${MODULES}/mod_ssl.so
LoadModule socache_shmcb_module ${MODULES}/mod_socache_shmcb.so
TypesConfig /etc/mime.types
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 30
SSLSessionCache shmcb:${join(dir, 'run', 'scache')}(512000)
LogFormat "%v %k %>s %{SSL_PROTOCOL}x %{SSL_TLS_SNI}x %U" tlsedge
${hosts.join('\n')}
`;
  const confFile = join(dir, 'httpd.conf');
  writeFileSync(confFile, conf);
  const httpd: Started = start('/usr/sbin/apache2', ['-f', confFile, '-DFOREGROUND'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' } });
  try {
    await waitForPort(port, '127.0.0.1', 15_000);
  } catch (err) {
    await httpd.stop(1000);
    throw new Error(`apache2 did not start: ${(err as Error).message}\n${httpd.output()}\n${readIfThere(join(dir, 'error.log'))}`);
  }
  return {
    port,
    dir,
    accessLog: () =>
      readIfThere(join(dir, 'access.log'))
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [vhost = '', keepalive = '0', status = '0', protocol = '', sni = '', path = ''] = line.split(' ');
          return { vhost, keepalive: Number(keepalive), status: Number(status), protocol, sni, path };
        }),
    errorLog: () => readIfThere(join(dir, 'error.log')),
    // SIGTERM stops httpd at once (children included); then the pid file is gone
    stop: () => httpd.stop(5000),
  };
}

function readIfThere(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}
