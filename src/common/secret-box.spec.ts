import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/app-config';
import { generatedKeyPath, loadEncryptionKey, SecretBox, SecretBoxError } from './secret-box';

describe('SecretBox', () => {
  const key = randomBytes(32);
  const sut = new SecretBox([key]);

  it('opens what it sealed, with the same associated data only', () => {
    const sealed = sut.seal('JBSWY3DPEHPK3PXP', 'totp:user-1');
    expect(sealed).toMatch(/^v1\.[\w-]{8}\.[\w-]{16}\.[\w-]+\.[\w-]{22}$/);
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(sut.open(sealed, 'totp:user-1')).toBe('JBSWY3DPEHPK3PXP');
    expect(() => sut.open(sealed, 'totp:user-2')).toThrow(SecretBoxError);
  });

  it('uses a fresh IV for every seal', () => {
    expect(sut.seal('same', 'ad')).not.toBe(sut.seal('same', 'ad'));
  });

  it('refuses a tampered ciphertext, tag or header', () => {
    const sealed = sut.seal('secret', 'ad');
    const parts = sealed.split('.');
    const flip = (index: number): string => {
      const bytes = Buffer.from(parts[index], 'base64url');
      bytes[0] ^= 1;
      return parts.map((p, i) => (i === index ? bytes.toString('base64url') : p)).join('.');
    };
    expect(() => sut.open(flip(3), 'ad')).toThrow(SecretBoxError);
    expect(() => sut.open(flip(4), 'ad')).toThrow(SecretBoxError);
    expect(() => sut.open(sealed.replace(/^v1/, 'v2'), 'ad')).toThrow(SecretBoxError);
  });

  it('opens values sealed under an older key kept for rotation, and not under a foreign key', () => {
    const old = new SecretBox([key]).seal('secret', 'ad');
    const rotated = new SecretBox([randomBytes(32), key]);
    expect(rotated.open(old, 'ad')).toBe('secret');
    expect(rotated.kid).not.toBe(sut.kid);
    expect(() => new SecretBox([randomBytes(32)]).open(old, 'ad')).toThrow(/unknown key/);
  });

  it('keeps MACs apart by purpose and by key', () => {
    expect(sut.mac('recovery', 'x')).toBe(new SecretBox([key]).mac('recovery', 'x'));
    expect(sut.mac('recovery', 'x')).not.toBe(sut.mac('other', 'x'));
    expect(sut.mac('recovery', 'x')).not.toBe(
      new SecretBox([randomBytes(32)]).mac('recovery', 'x'),
    );
  });
});

describe('loadEncryptionKey', () => {
  it('generates a key once in DATA_DIR/keys (owner-only) and reads it back on the next start', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-sb-'));
    const config = loadConfig({ DATA_DIR: dataDir });
    const first = loadEncryptionKey(config);
    expect(first).toHaveLength(32);
    expect(statSync(generatedKeyPath(dataDir)).mode & 0o777).toBe(0o600);
    expect(loadEncryptionKey(config).equals(first)).toBe(true);
  });

  it('reads ENCRYPTION_KEY_FILE', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-sb-'));
    const file = join(dataDir, 'k');
    const key = randomBytes(32);
    writeFileSync(file, key.toString('base64'));
    const config = loadConfig({ ENCRYPTION_KEY_FILE: file, DATA_DIR: dataDir });
    expect(loadEncryptionKey(config).equals(key)).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe(key.toString('base64'));
  });
});
