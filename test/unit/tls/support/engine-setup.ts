// Common engine test setup: a policy over the test PKI, a driver with the matching software keys,
// a ticket ring, a movable clock, and a helper running a whole handshake with a TestClient.
import { randomBytes, type KeyObject } from 'node:crypto';
import { NodeCryptoProvider } from '../../../../adapters/tls/crypto/node-provider.js';
import { describeKey } from '../../../../adapters/tls/crypto/software-signer.js';
import { TicketKeyRing } from '../../../../adapters/tls/crypto/ticket-keys.js';
import type { ServerConfig } from '../../../../adapters/tls/engine/server/config.js';
import { serverPolicy, type ServerPolicy } from '../../../../adapters/tls/engine/server/policy.js';
import { EngineDriver } from './engine-driver.js';
import { testPki, type KeyKind } from './pki.js';
import { TestClient, type TestClientOptions } from './test-client.js';

/** Real time plus a movable offset (certificates made during the run must already be valid). */
export const clock = { offset: 0, now() { return Date.now() + this.offset; } };

export const ticketRing = new TicketKeyRing(new Uint8Array(randomBytes(48)));

export function policyWith(overrides: Partial<ServerPolicy> = {}, kinds: KeyKind[] = ['p256']): ServerPolicy {
  const pki = testPki();
  return serverPolicy({
    id: 'test',
    certificates: kinds.map((k) => ({ chain: pki.server[k].chain, key: describeKey(k, pki.server[k].key) })),
    ...overrides,
  });
}

export function allKeys(): Map<string, KeyObject> {
  const pki = testPki();
  return new Map(Object.entries(pki.server).map(([k, v]) => [k, v.key]));
}

export function driver(policy: ServerPolicy | ServerConfig['policy'] = policyWith(), extra: Partial<ServerConfig> = {}): EngineDriver {
  return new EngineDriver({ provider: new NodeCryptoProvider(), policy, tickets: ticketRing, clock, ...extra }, allKeys());
}

/** Runs a full exchange; returns the client and driver positioned after the client's Finished. */
export function handshake(
  d: EngineDriver,
  options: TestClientOptions = {},
  finish: { corruptFinished?: boolean } = {},
): TestClient {
  const client = new TestClient(options);
  d.feed(client.helloRecords());
  client.receive(d.written());
  if (client.flight.helloRetry && !client.flight.serverHello) {
    d.feed(client.helloRecords());
    client.receive(d.written());
  }
  if (d.state.kind === 'closed' || !client.serverFinished) return client;
  d.feed(client.finish(finish));
  client.receive(d.written());
  return client;
}
