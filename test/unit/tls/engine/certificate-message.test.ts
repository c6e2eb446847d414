import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { serverCertificateMessage } from '../../../../adapters/tls/engine/server/certificate-message.js';
import { decodeCertificate, encodeCertificate } from '../../../../adapters/tls/engine/messages/certificate.js';

describe('serverCertificateMessage', () => {
  it('is the Certificate message of the chain, with an empty request context', () => {
    const chain = [randomBytes(700), randomBytes(500)];
    const message = serverCertificateMessage(chain);
    assert.deepEqual(message, encodeCertificate(new Uint8Array(0), chain));
    const decoded = decodeCertificate(message);
    assert.equal(decoded.context.length, 0);
    assert.deepEqual(decoded.entries.map((e) => Buffer.from(e.certData)), chain);
  });

  it('is encoded once per chain, and another chain gets its own', () => {
    const chain = [randomBytes(300)];
    const other = [randomBytes(300)];
    assert.equal(serverCertificateMessage(chain), serverCertificateMessage(chain), 'the same bytes object again');
    assert.notDeepEqual(serverCertificateMessage(other), serverCertificateMessage(chain));
  });
});
