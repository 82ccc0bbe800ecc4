import type { SelectQueryBuilder } from 'typeorm';
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

const ISO_TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * One page of rows newest first, keyset-paginated on (created_at, id) of `alias`; the query
 * builder carries the caller's filters. Fetches one row more than the page to know if another
 * page follows.
 */
export async function newestFirstPage<T extends { createdAt: Date; id: string }>(
  qb: SelectQueryBuilder<T>,
  alias: string,
  page: { limit: number; cursor?: string },
): Promise<Page<T>> {
  if (page.cursor) {
    const [createdAt, id] = decodeCursor(page.cursor, [ISO_TIMESTAMP_PATTERN, UUID_PATTERN]);
    qb.andWhere(`(${alias}.created_at, ${alias}.id) < (:createdAt, :id)`, {
      createdAt: new Date(createdAt),
      id,
    });
  }
  const rows = await qb
    .orderBy(`${alias}.created_at`, 'DESC')
    .addOrderBy(`${alias}.id`, 'DESC')
    .limit(page.limit + 1)
    .getMany();
  const items = rows.slice(0, page.limit);
  const last = items[items.length - 1];
  const nextCursor =
    rows.length > page.limit ? encodeCursor([last.createdAt.toISOString(), last.id]) : null;
  return { items, nextCursor };
}
