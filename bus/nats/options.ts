// Turns `bus:` config (adapters/config/model.ts BusConfig) into nats.js connection options:
// servers, credentials (creds file, nkey seed file, user + password from the environment), TLS.
import { readFileSync } from 'node:fs';
import { credsAuthenticator, nkeyAuthenticator, type NodeConnectionOptions } from '@nats-io/transport-node';
import type { BusConfig } from '../../adapters/config/model.js';
import { BusError } from '../bus.js';

export interface NatsConnectTuning {
  /** Shown by the server's monitoring (`connz`): e.g. `tlsedge-node-3f2a-proxy`. */
  name: string;
  /** Pause between reconnect attempts (nats.js default 2000 ms). */
  reconnectTimeWaitMs?: number;
  /** Keep retrying the first connect instead of failing with `connect_failed`. */
  waitOnFirstConnect?: boolean;
  /** Milliseconds to wait for a server handshake (nats.js default 20 s). */
  connectTimeoutMs?: number;
  /** Where `password_env` is looked up (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Builds nats.js options that reconnect forever. Secrets (creds, seed, password) are read here
 * and go only into the authenticator: error messages name the file or variable, never the value.
 */
export function natsConnectionOptions(config: BusConfig, tuning: NatsConnectTuning): NodeConnectionOptions {
  if (config.servers.length === 0) throw new BusError('connect_failed', 'bus.url names no NATS server');
  const options: NodeConnectionOptions = {
    servers: config.servers,
    name: tuning.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: tuning.reconnectTimeWaitMs ?? 2000,
    waitOnFirstConnect: tuning.waitOnFirstConnect ?? false,
    timeout: tuning.connectTimeoutMs ?? 20_000,
    // A proxy never needs its own publishes echoed, except that embedded-style tests on one
    // connection rely on it (request/reply to ourselves): keep NATS's default (echo on).
  };
  const authenticators = [];
  if (config.credsFile !== undefined) authenticators.push(credsAuthenticator(readSecretFile(config.credsFile, 'bus.creds')));
  if (config.nkeySeedFile !== undefined) {
    const seed = new TextEncoder().encode(new TextDecoder().decode(readSecretFile(config.nkeySeedFile, 'bus.nkey_seed')).trim());
    authenticators.push(nkeyAuthenticator(seed));
  }
  if (authenticators.length > 0) options.authenticator = authenticators;
  if (config.user !== undefined) {
    options.user = config.user;
    if (config.passwordEnv !== undefined) {
      const password = (tuning.env ?? process.env)[config.passwordEnv];
      if (password === undefined) throw new BusError('connect_failed', `bus.password_env names ${config.passwordEnv}, which is not set`);
      options.pass = password;
    }
  }
  if (config.tls !== undefined) {
    options.tls = {};
    if (config.tls.ca !== undefined) options.tls.caFile = config.tls.ca;
    if (config.tls.cert !== undefined) options.tls.certFile = config.tls.cert;
    if (config.tls.key !== undefined) options.tls.keyFile = config.tls.key;
  }
  return options;
}

function readSecretFile(path: string, key: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new BusError('connect_failed', `${key}: cannot read ${path} (${code})`);
  }
}
