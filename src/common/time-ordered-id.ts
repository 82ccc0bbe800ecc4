import { randomFillSync } from 'node:crypto';

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits. For primary keys of
 * tables written on the hot path: consecutive ids land on the same rightmost B-tree page,
 * where random (v4) ids touch a random page of a large index each, which after every
 * checkpoint costs a full-page image in the WAL. Only for ids that are never shown outside:
 * the time in them is readable.
 */
export function timeOrderedId(nowMs: number = Date.now()): string {
  const bytes = randomFillSync(Buffer.alloc(16));
  bytes.writeUIntBE(Math.floor(nowMs), 0, 6);
  bytes[6] = 0x70 | (bytes[6] & 0x0f);
  bytes[8] = 0x80 | (bytes[8] & 0x3f);
  return uuidFromHex(bytes.toString('hex'));
}

/** A UUID's 32 hex digits in its 8-4-4-4-12 text form. */
export function uuidFromHex(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
