// The 2-character version field of JA4: the highest non-GREASE supported_versions entry, else the
// ClientHello's legacy_version (the record-layer version is ignored), per the FoxIO JA4 spec.
import { isGrease } from '../wire/enums.js';
import type { ClientHello } from '../wire/client-hello.js';

const labels: ReadonlyMap<number, string> = new Map([
  [0x0304, '13'],
  [0x0303, '12'],
  [0x0302, '11'],
  [0x0301, '10'],
  [0x0300, 's3'],
  [0x0002, 's2'],
  [0xfeff, 'd1'],
  [0xfefd, 'd2'],
  [0xfefc, 'd3'],
]);

export function offeredVersionsForJa4(hello: ClientHello): string {
  const versions = hello.supportedVersions?.filter((v) => !isGrease(v)) ?? [];
  // "highest value in the extension": DTLS versions count down, but a TCP hello never mixes them.
  const version = versions.length ? Math.max(...versions) : hello.legacyVersion;
  return labels.get(version) ?? '00';
}
