// The ticket keys a proxy holds, opened: the fleet block (from the rotator) or a static ATS file
// (`session.tickets.key_file`, or a certificate's own). Material lives only here, in memory.
import { fileKeyId, readTicketKeyFile } from '../../adapters/crypto/ticket-key-file.js';
import type { KeyStatus } from '../key-rotation/state.js';

export interface HeldKey {
  id: string;
  epoch: number;
  status: KeyStatus;
  /** 48 bytes; never copied into events, logs or errors. */
  material: Buffer;
}

export class KeySet {
  private held: HeldKey[] = [];
  /** Bumped on every change: routing tables rebuild when it moves. */
  version = 0;
  /** The block's (term, revision) for the fleet set; unused for static files. */
  term = 0;
  revision = 0;

  constructor(
    /** `fleet` or `file:<path>`. */
    readonly name: string,
  ) {}

  get keys(): readonly HeldKey[] {
    return this.held;
  }

  replace(keys: HeldKey[]): void {
    for (const old of this.held) if (!keys.some((k) => k.material === old.material)) old.material.fill(0);
    this.held = [...keys].sort((a, b) => b.epoch - a.epoch);
    this.version++;
  }

  encrypting(): HeldKey | undefined {
    return this.held.find((k) => k.status === 'active');
  }

  ids(): Set<string> {
    return new Set(this.held.map((k) => k.id));
  }
}

/** An ATS-format file as a key set: the first key encrypts, the others decrypt. */
export function fileKeySet(path: string): KeySet {
  const keys = readTicketKeyFile(path);
  const set = new KeySet(`file:${path}`);
  set.replace(keys.map((material, i) => ({ id: fileKeyId(material), epoch: keys.length - i, status: i === 0 ? 'active' : 'retired', material })));
  return set;
}
