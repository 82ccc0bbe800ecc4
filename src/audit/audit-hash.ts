import { createHash, createHmac } from 'node:crypto';
import { constantTimeEqual } from '../common/constant-time';

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

/**
 * The keyed chain link: HMAC-SHA-256 with a key kept outside the database, over the same
 * canonical record and previous hash as chainHash. Someone who can write the database but not
 * read the key cannot recompute the links after editing or deleting a record (issue 10).
 */
export function keyedChainHash(key: Buffer, record: HashedFields, prevHash: string): string {
  const canonical = canonicalJson({
    ...record,
    occurredAt: new Date(record.occurredAt).toISOString(),
    recordedAt: new Date(record.recordedAt).toISOString(),
  });
  return createHmac('sha256', key).update(canonical).update('\n').update(prevHash).digest('hex');
}

/** What a purge checkpoint seals: the last purged record, its hash and how many went. */
export interface CheckpointFields {
  lastPurgedSeq: string;
  lastPurgedHash: string;
  purgedCount: number;
}

/** A checkpoint's MAC: a forged checkpoint (to hide deleted records) does not verify. */
export function checkpointMac(key: Buffer, checkpoint: CheckpointFields): string {
  return createHmac('sha256', key)
    .update(`tessera-audit-checkpoint\n${canonicalJson(checkpoint)}`)
    .digest('hex');
}

/**
 * An external anchor: the chain's length and head at a moment, kept outside the database.
 * `count` is every record up to and including the head, purged ones included.
 */
export interface AnchorFields {
  count: number;
  headSeq: string;
  headId: string | null;
  headHash: string;
  at: string;
  kid: string;
}

/** The anchor's MAC: proves an anchor file was made by a holder of the key. */
export function anchorMac(key: Buffer, anchor: AnchorFields): string {
  return createHmac('sha256', key)
    .update(`tessera-audit-anchor\n${canonicalJson(anchor)}`)
    .digest('hex');
}

/** Where the keyed chain starts: the first keyed record's seq and the hash it links to. */
export interface KeyedMarkerFields {
  keyedFromSeq: string;
  keyedFromPrevHash: string;
}

/** The boundary's MAC: records cannot be passed off as the older, unkeyed kind. */
export function keyedMarkerMac(key: Buffer, marker: KeyedMarkerFields): string {
  return createHmac('sha256', key)
    .update(`tessera-audit-keyed-from\n${canonicalJson(marker)}`)
    .digest('hex');
}

/** Compares two hex MACs in constant time (a mismatch of length is simply false). */
export function macEquals(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length > 0 && constantTimeEqual(left, right);
}
