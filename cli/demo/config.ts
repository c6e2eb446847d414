// The demo's config: the three demo names with their own certificates (`localhost` is the
// default for unknown names), every host routed to the demo origin.
import { configFromObject } from '../../adapters/config/load.js';
import type { TlsedgeConfig } from '../../adapters/config/model.js';
import type { DemoPki } from './pki.js';

export function demoConfig(pki: DemoPki, options: { stateDir: string; listen: string; admin: string; originPort: number }): TlsedgeConfig {
  return configFromObject(
    {
      listen: [{ address: options.listen }],
      admin: { address: options.admin },
      log: { dir: `${options.stateDir}/events` },
      certificates: pki.certs.map((c) => ({ names: [c.name], cert: c.cert, key: c.key, default: c.name === 'localhost' })),
      origins: [{ match: { path_prefix: '/' }, to: `http://127.0.0.1:${options.originPort}` }],
    },
    process.cwd(),
    'demo config',
  );
}
