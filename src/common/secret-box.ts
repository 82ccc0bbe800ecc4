import { Logger } from '@nestjs/common';
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  type KeyObject,
  createSecretKey,
} from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AppConfig } from '../config/app-config';

const VERSION = 'v1';
const KEY_BYTES = 32;
const IV_BYTES = 12; // 96 bits: the GCM nonce size that needs no extra hashing
const TAG_BYTES = 16;

/** A sealed value that does not open: wrong key, wrong associated data, or tampered bytes. */
export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

interface BoxKey {
  kid: string;
  aes: KeyObject;
  macRoot: Buffer;
}

function deriveKey(key: Buffer): BoxKey {
  if (key.length !== KEY_BYTES) throw new SecretBoxError('an encryption key is 32 bytes');
  // The kid names the key without revealing it (HKDF output, not the key itself), so a sealed
  // value says which key opens it and several keys can coexist during a rotation.
  const kid = Buffer.from(hkdfSync('sha256', key, '', 'tessera secret-box kid', 6)).toString(
    'base64url',
  );
  const macRoot = Buffer.from(hkdfSync('sha256', key, '', 'tessera secret-box mac', 32));
  return { kid, aes: createSecretKey(key), macRoot };
}

/**
 * AES-256-GCM for small secrets at rest (TOTP seeds). A sealed value is
 * `v1.<kid>.<iv>.<ciphertext>.<tag>` (base64url parts). The caller's associated data (e.g.
 * `totp:<userId>`) is authenticated but not stored: a ciphertext copied to another row or
 * purpose does not open. Each seal uses a fresh random IV; at 2^32 seals per key the collision
 * risk is still negligible, far beyond what a user table needs.
 */
export class SecretBox {
  private readonly active: BoxKey;
  private readonly byKid: Map<string, BoxKey>;

  /** `keys[0]` seals; every key opens what it sealed (old keys kept during a rotation). */
  constructor(keys: readonly Buffer[]) {
    if (keys.length === 0) throw new SecretBoxError('at least one key is required');
    const derived = keys.map(deriveKey);
    this.active = derived[0];
    this.byKid = new Map(derived.map((key) => [key.kid, key]));
  }

  static fromConfig(config: AppConfig): SecretBox {
    return new SecretBox([loadEncryptionKey(config)]);
  }

  get kid(): string {
    return this.active.kid;
  }

  seal(plaintext: string, associatedData: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.active.aes, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(this.active.kid, associatedData));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const parts = [iv, body, cipher.getAuthTag()].map((part) => part.toString('base64url'));
    return [VERSION, this.active.kid, ...parts].join('.');
  }

  /** Throws SecretBoxError when the value does not open; never returns garbage. */
  open(sealed: string, associatedData: string): string {
    const [version, kid, iv, body, tag, ...rest] = sealed.split('.');
    if (version !== VERSION || rest.length > 0 || !iv || body === undefined || !tag) {
      throw new SecretBoxError('not a sealed value');
    }
    const key = this.byKid.get(kid);
    if (!key) throw new SecretBoxError('sealed under an unknown key');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.aes, Buffer.from(iv, 'base64url'), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(aad(kid, associatedData));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      const plain = Buffer.concat([
        decipher.update(Buffer.from(body, 'base64url')),
        decipher.final(),
      ]);
      return plain.toString('utf8');
    } catch {
      throw new SecretBoxError('the sealed value does not authenticate');
    }
  }

  /**
   * HMAC-SHA-256 (hex) under a subkey of the active key, separated by `purpose`. For lookup
   * hashes of low-entropy secrets (recovery codes): a copy of the database alone does not allow
   * guessing them offline.
   */
  mac(purpose: string, data: string): string {
    const subkey = Buffer.from(hkdfSync('sha256', this.active.macRoot, '', `mac:${purpose}`, 32));
    return createHmac('sha256', subkey).update(data, 'utf8').digest('hex');
  }
}

function aad(kid: string, associatedData: string): Buffer {
  // The version and kid are bound too, so the header of a sealed value cannot be swapped.
  return Buffer.from(`${VERSION}.${kid}|${associatedData}`, 'utf8');
}

export function parseKeyText(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]{43}=$/.test(trimmed)) return undefined;
  const key = Buffer.from(trimmed, 'base64');
  return key.length === KEY_BYTES ? key : undefined;
}

export function generatedKeyPath(dataDir: string): string {
  return join(dataDir, 'keys', 'encryption.key');
}

/**
 * ENCRYPTION_KEY_FILE when set (validated at start by loadConfig); a random key per process for
 * the in-memory test database (nothing outlives it); otherwise generated once into
 * DATA_DIR/keys/encryption.key, like the JWT signing key. Several instances on one database
 * must share ENCRYPTION_KEY_FILE, as they share the signing key.
 */
export function loadEncryptionKey(config: AppConfig): Buffer {
  if (config.encryptionKeyFile) {
    const key = parseKeyText(readFileSync(resolve(config.encryptionKeyFile), 'utf8'));
    if (!key) throw new SecretBoxError('ENCRYPTION_KEY_FILE does not hold a 32-byte base64 key');
    return key;
  }
  if (config.embeddedInMemory) return randomBytes(KEY_BYTES);
  return readOrCreateKeyFile(generatedKeyPath(config.dataDir));
}

function readOrCreateKeyFile(path: string): Buffer {
  try {
    return parseOrThrow(readFileSync(path, 'utf8'), path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  new Logger(SecretBox.name).log(`generating an encryption key in ${path}`);
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
  try {
    // 'wx': exclusive create, so two processes starting together cannot both write a key.
    writeFileSync(path, `${randomBytes(KEY_BYTES).toString('base64')}\n`, {
      mode: 0o600,
      flag: 'wx',
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return parseOrThrow(readFileSync(path, 'utf8'), path);
}

function parseOrThrow(text: string, path: string): Buffer {
  const key = parseKeyText(text);
  if (!key) throw new SecretBoxError(`${path} does not hold a 32-byte base64 key`);
  return key;
}
