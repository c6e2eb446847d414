// The demo's config, written as a real tlsedge.yaml in the state dir (so `replay` can compare a
// modified copy against it): the three demo names with their own certificates (`localhost` is the
// default for unknown names), every host routed to the demo origin.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { DemoPki } from './pki.js';

export function writeDemoConfig(pki: DemoPki, options: { stateDir: string; listen: string; admin: string; originPort: number }): string {
  const file = join(pki.dir, 'tlsedge.yaml');
  const config = {
    listen: [{ address: options.listen }],
    admin: { address: options.admin },
    log: { dir: join(options.stateDir, 'events') },
    certificates: pki.certs.map((c) => ({ names: [c.name], cert: c.cert, key: c.key, ...(c.name === 'localhost' ? { default: true } : {}) })),
    origins: [{ match: { path_prefix: '/' }, to: `http://127.0.0.1:${options.originPort}` }],
  };
  const header = '# Written by `tlsedge up --demo` on every start (the demo origin port changes).\n# Copy it, change something, and ask `tlsedge replay --last --config copy.yaml` what would differ.\n';
  writeFileSync(file, header + stringify(config));
  return file;
}
