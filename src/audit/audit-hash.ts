import { createHash } from 'node:crypto';

/** The chain's anchor before the first record (and after a purge with no checkpoint). */
export const GENESIS_HASH = '0'.repeat(64);

/** The fields a record's hash covers: everything but its own position (`seq`) and hash. */
export interface HashedFields {
  eventId: string;
  type: string;
  occurredAt: Date;
  recordedAt: Date;
  userId: string | null;
  actorId: string | null;
  sessionId: string | null;
  deviceId: string | null;
  ip: string | null;
  userAgent: string | null;
  outcome: string;
  reason: string | null;
  data: Record<string, unknown>;
}

/**
 * JSON with object keys sorted at every level, so a record read back from jsonb (which reorders
 * keys) serialises byte-for-byte as it did when it was hashed.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** SHA-256 over the canonical record followed by the previous record's hash. */
export function chainHash(record: HashedFields, prevHash: string): string {
  const canonical = canonicalJson({
    ...record,
    occurredAt: new Date(record.occurredAt).toISOString(),
    recordedAt: new Date(record.recordedAt).toISOString(),
  });
  return createHash('sha256').update(canonical).update('\n').update(prevHash).digest('hex');
}
