import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ClientHelloPeeker } from '../../../../adapters/tls/hello/peek.js';
import { decodeClientHello, encodeClientHello } from '../../../../adapters/tls/wire/client-hello.js';
import { TlsError } from '../../../../adapters/tls/wire/errors.js';
import { foxioHellos } from '../fixtures/foxio-ja4-hellos.js';
import { buildHello, hex, toRecords, unhex } from '../support/hello-builder.js';
import { vec } from '../support/rfc8448.js';

const seeds: Uint8Array[] = [
  vec('handshake_messages.client_hello'),
  vec('resumed_0rtt.client_hello'),
  buildHello({ serverName: 'fuzz.example.test', alpn: ['h2', 'http/1.1'] }),
  buildHello({
    serverName: 'psk.example.test',
    psk: { identities: [{ identity: new Uint8Array(40).fill(3), obfuscatedTicketAge: 5 }, { identity: new Uint8Array(32), obfuscatedTicketAge: 0 }], binders: [new Uint8Array(32), new Uint8Array(48)] },
  }),
  ...foxioHellos.map((h) => unhex(h.record).subarray(5)),
];

/** Decodes or refuses with a TlsError that is not a decoder bug (internal_error). */
function decodeOrTypedError(bytes: Uint8Array): 'ok' | 'refused' {
  try {
    const h = decodeClientHello(bytes);
    // Whatever decodes must re-encode to the same bytes (nothing was lost or invented).
    if (h.hasExtensionsBlock) {
      const again = encodeClientHello({
        legacyVersion: h.legacyVersion,
        random: h.random,
        legacySessionId: h.legacySessionId,
        cipherSuites: h.cipherSuites,
        compressionMethods: h.compressionMethods,
        extensions: h.extensions,
      });
      assert.equal(hex(again), hex(bytes));
    }
    return 'ok';
  } catch (err) {
    if (!(err instanceof TlsError)) throw new Error(`non-TlsError escaped: ${String(err)}`);
    if (err.code === 'internal_error') throw new Error(`decoder bug: ${err.message} ${String(err.cause)}`);
    return 'refused';
  }
}

/** Feeds records cut into `chunk`-sized segments; only results or TlsErrors may come out. */
function peekOrTypedError(records: Uint8Array, chunk: number): void {
  const peeker = new ClientHelloPeeker();
  for (let i = 0; i < records.length; i += chunk) {
    const r = peeker.feed(records.subarray(i, i + chunk));
    if (r.status === 'failed') {
      assert.ok(r.error instanceof TlsError);
      assert.notEqual(r.error.code, 'internal_error', r.error.message);
      return;
    }
    if (r.status === 'complete') return;
  }
}

/** Extension blocks of a seed, for structural mutations that keep the outer lengths consistent. */
function splitExtensions(message: Uint8Array): { head: Uint8Array; exts: Array<{ type: number; data: Uint8Array }> } {
  const h = decodeClientHello(message);
  return {
    head: message,
    exts: h.extensions.map((e) => ({ type: e.type, data: e.data })),
  };
}

function rebuild(message: Uint8Array, exts: Array<{ type: number; data: Uint8Array }>): Uint8Array {
  const h = decodeClientHello(message);
  return encodeClientHello({
    legacyVersion: h.legacyVersion,
    random: h.random,
    legacySessionId: h.legacySessionId,
    cipherSuites: h.cipherSuites,
    compressionMethods: h.compressionMethods,
    extensions: exts,
  });
}

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'length'; at: number; width: 1 | 2 | 3; value: number }
  | { kind: 'byte'; at: number; value: number }
  | { kind: 'duplicate'; index: number }
  | { kind: 'insert'; index: number; type: number; data: Uint8Array }
  | { kind: 'remove'; index: number }
  | { kind: 'swap'; a: number; b: number }
  | { kind: 'ext-data-flip'; index: number; at: number; value: number };

const interestingTypes = [0, 10, 13, 16, 21, 23, 28, 35, 41, 42, 43, 44, 45, 48, 50, 51, 0xff01, 0x0a0a, 0x4469];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('length' as const), at: fc.nat(), width: fc.constantFrom(1 as const, 2 as const, 3 as const), value: fc.nat(0xffffff) }),
  fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), value: fc.nat(255) }),
  fc.record({ kind: fc.constant('duplicate' as const), index: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), index: fc.nat(), type: fc.constantFrom(...interestingTypes), data: fc.uint8Array({ maxLength: 40 }) }),
  fc.record({ kind: fc.constant('remove' as const), index: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constant('ext-data-flip' as const), index: fc.nat(), at: fc.nat(), value: fc.nat(255) }),
);

function apply(seed: Uint8Array, muts: Mutation[]): Uint8Array {
  let bytes: Uint8Array = seed.slice();
  for (const m of muts) {
    if (bytes.length === 0) break;
    switch (m.kind) {
      case 'flip':
        bytes[m.at % bytes.length]! ^= 1 << m.bit;
        break;
      case 'truncate':
        bytes = bytes.slice(0, m.at % bytes.length);
        break;
      case 'byte':
        bytes[m.at % bytes.length] = m.value;
        break;
      case 'length': {
        const at = m.at % bytes.length;
        for (let i = 0; i < m.width && at + i < bytes.length; i++) bytes[at + i] = (m.value >> (8 * (m.width - 1 - i))) & 0xff;
        break;
      }
      default: {
        // structural edits need a decodable base; skip them once the bytes no longer decode
        let parts;
        try {
          parts = splitExtensions(bytes);
        } catch {
          break;
        }
        const exts = parts.exts;
        if (m.kind === 'duplicate' && exts.length) exts.splice(m.index % (exts.length + 1), 0, exts[m.index % exts.length]!);
        if (m.kind === 'insert') exts.splice(m.index % (exts.length + 1), 0, { type: m.type, data: m.data });
        if (m.kind === 'remove' && exts.length) exts.splice(m.index % exts.length, 1);
        if (m.kind === 'swap' && exts.length) {
          const a = m.a % exts.length;
          const b = m.b % exts.length;
          [exts[a], exts[b]] = [exts[b]!, exts[a]!];
        }
        if (m.kind === 'ext-data-flip' && exts.length) {
          const e = exts[m.index % exts.length]!;
          if (e.data.length) {
            const data = e.data.slice();
            data[m.at % data.length] = m.value;
            exts[m.index % exts.length] = { type: e.type, data };
          }
        }
        bytes = rebuild(bytes, exts);
      }
    }
  }
  return bytes;
}

describe('ClientHello decoding under fuzzing', () => {
  it('turns 10,000 mutated hellos into a result or a TlsError, directly and through the peek parser', () => {
    const outcomes = { ok: 0, refused: 0 };
    fc.assert(
      fc.property(
        fc.nat(seeds.length - 1),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 600 }),
        fc.integer({ min: 1, max: 64 }),
        (seedIndex, muts, fragment, chunk) => {
          const message = apply(seeds[seedIndex]!, muts);
          outcomes[decodeOrTypedError(message)]++;
          peekOrTypedError(toRecords(message, [fragment]), chunk);
        },
      ),
      { numRuns: 10_000, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31) },
    );
    // both branches must be exercised, or the mutations are not reaching the decoder
    assert.ok(outcomes.ok > 100, `only ${outcomes.ok} mutated hellos decoded`);
    assert.ok(outcomes.refused > 100, `only ${outcomes.refused} mutated hellos were refused`);
  });

  it('turns random bytes into need_more, a result or a TlsError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 1, max: 50 }), (bytes, chunk) => {
        decodeOrTypedError(bytes);
        peekOrTypedError(bytes, chunk);
        // also as a record around random handshake bytes, so the decoder sees them
        peekOrTypedError(toRecords(bytes.length ? bytes : new Uint8Array([1])), chunk);
      }),
      { numRuns: 3_000 },
    );
  });
});
