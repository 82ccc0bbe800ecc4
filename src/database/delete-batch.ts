import type { EntityManager } from 'typeorm';
import { queryReturning } from './query-returning';

/** One pruning batch: which table, which rows are dead, and at most how many go. */
export interface DeleteBatch {
  /** A table name from the calling repository (a constant, never input). */
  table: string;
  /** The SQL condition that selects dead rows, with $1… placeholders. */
  where: string;
  params: unknown[];
  limit: number;
}

/**
 * Deletes at most `limit` rows matching `where` and returns how many went. The LIMIT sits in a
 * sub-select on the primary key (PostgreSQL's DELETE has none), so each batch stays short.
 */
export async function deleteBatch(manager: EntityManager, batch: DeleteBatch): Promise<number> {
  const rows = await queryReturning<{ id: string }>(
    manager,
    `DELETE FROM ${batch.table} WHERE id IN (
       SELECT id FROM ${batch.table} WHERE ${batch.where} LIMIT ${Number(batch.limit)})
     RETURNING id`,
    batch.params,
  );
  return rows.length;
}
