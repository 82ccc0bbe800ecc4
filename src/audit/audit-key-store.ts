import { createHash, randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** HMAC-SHA-256 keys shorter than the hash add no strength; shorter ones are refused. */
export const AUDIT_KEY_MIN_BYTES = 32;
export const AUDIT_KEY_FILE_NAME = 'audit-hmac.key';

export class AuditKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditKeyError';
  }
}

export interface AuditKeySource {
  /** AUDIT_HMAC_KEY_FILE: a file holding the key as base64 or hex text. */
  keyFile?: string;
  dataDir: string;
  /** Tests' in-memory database: a random key per process (nothing outlives it anyway). */
  inMemory: boolean;
}

/** Decodes the text of a key file: hex (64+ digits) or base64/base64url. */
export function decodeAuditKey(text: string): Buffer {
  const trimmed = text.trim();
  const key =
    /^[0-9a-f]+$/i.test(trimmed) && trimmed.length % 2 === 0
      ? Buffer.from(trimmed, 'hex')
      : Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (key.length < AUDIT_KEY_MIN_BYTES) {
    throw new AuditKeyError(
      `AUDIT_HMAC_KEY_FILE: the key must be at least ${AUDIT_KEY_MIN_BYTES} bytes, as hex or base64`,
    );
  }
  return key;
}

/** A short, non-secret name for a key, recorded with anchors so verification picks the right one. */
export function auditKeyId(key: Buffer): string {
  return createHash('sha256').update('tessera-audit-key-id').update(key).digest('hex').slice(0, 16);
}

/**
 * The audit chain's HMAC key. From AUDIT_HMAC_KEY_FILE when set (several instances sharing one
 * database must share this key); otherwise generated once into DATA_DIR/keys/audit-hmac.key
 * (mode 0600; two processes starting at once end up with one key), like
 * the generated JWT key. Keep the key off the database host's backups: whoever holds both can
 * rewrite the chain.
 */
export function loadAuditKey(source: AuditKeySource): Buffer {
  if (source.keyFile) {
    let text: string;
    try {
      text = readFileSync(source.keyFile, 'utf8');
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new AuditKeyError(`AUDIT_HMAC_KEY_FILE: cannot read the key file (${reason})`);
    }
    return decodeAuditKey(text);
  }
  if (source.inMemory) return randomBytes(AUDIT_KEY_MIN_BYTES);
  const dir = join(source.dataDir, 'keys');
  const file = join(dir, AUDIT_KEY_FILE_NAME);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Written aside, then hard-linked into place: link() fails if the file exists, so a process
  // racing this one either wins or reads the complete key of the winner, never a partial file.
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, `${randomBytes(AUDIT_KEY_MIN_BYTES).toString('base64')}\n`, {
    mode: 0o600,
  });
  try {
    linkSync(partial, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(partial);
  }
  return decodeAuditKey(readFileSync(file, 'utf8'));
}
