import { AppException } from './app.exception';

/**
 * Opaque keyset-pagination cursors: the sort key of the last row returned, as base64url JSON.
 * Opaque so clients do not build them, validated on the way back in so a forged cursor is a
 * 400 and never reaches SQL as something other than the expected values.
 */
export function encodeCursor(values: readonly string[]): string {
  return Buffer.from(JSON.stringify(values), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, patterns: readonly RegExp[]): string[] {
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    values = undefined;
  }
  const valid =
    Array.isArray(values) &&
    values.length === patterns.length &&
    values.every((value, i) => typeof value === 'string' && patterns[i].test(value));
  if (!valid) {
    throw new AppException('validation_failed', 'The cursor is not valid', {
      errors: [{ field: 'cursor', messages: ['must be a nextCursor value from a previous page'] }],
    });
  }
  return values as string[];
}

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A page of a keyset-paginated list, as the contract shapes it. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
