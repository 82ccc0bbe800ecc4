import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Makes the hot path's session updates HOT (heap-only: no index entry written). A refresh and
 * the batched activity write change last_active_at and idle_expires_at; two indexes held those
 * columns, so every rotation wrote an entry into each of the table's ten indexes.
 *
 * - The per-user index no longer holds last_active_at: a user's active sessions are few (the
 *   session limit), and they are sorted after the index lookup.
 * - The expiry sweep finds idle sessions by idle_sweep_at, a lower bound of idle_expires_at
 *   that activity does not move (the sweep raises it when it finds a session active since).
 * - Pages keep room for new row versions: HOT needs the new version on the same page.
 *
 * Refresh-token ids become time-ordered (UUIDv7, set by the application), which needs no
 * schema change: the column's default is kept for rows written by other means.
 */
export class SessionHotUpdates1764200400000 implements MigrationInterface {
  name = 'SessionHotUpdates1764200400000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // '-infinity' is a lower bound of every deadline, stored as the column's default without
    // rewriting the table: the first sweep after the upgrade raises the existing sessions'
    // bounds, 500 at a time, instead of the migration updating every row under its lock.
    await queryRunner.query(
      `ALTER TABLE "sessions" ADD "idle_sweep_at" timestamptz NOT NULL DEFAULT '-infinity'`,
    );
    await queryRunner.query(`ALTER TABLE "sessions" ALTER COLUMN "idle_sweep_at" DROP DEFAULT`);
    await queryRunner.query(`DROP INDEX "ix_sessions_active_idle"`);
    await queryRunner.query(
      `CREATE INDEX "ix_sessions_active_idle_sweep" ON "sessions" ("idle_sweep_at") WHERE status = 'active'`,
    );
    await queryRunner.query(`DROP INDEX "ix_sessions_user_status_activity"`);
    await queryRunner.query(
      `CREATE INDEX "ix_sessions_user_active" ON "sessions" ("user_id") WHERE status = 'active'`,
    );
    await queryRunner.query(`ALTER TABLE "sessions" SET (fillfactor = 85)`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sessions" RESET (fillfactor)`);
    await queryRunner.query(`DROP INDEX "ix_sessions_user_active"`);
    await queryRunner.query(
      `CREATE INDEX "ix_sessions_user_status_activity" ON "sessions" ("user_id", "status", "last_active_at")`,
    );
    await queryRunner.query(`DROP INDEX "ix_sessions_active_idle_sweep"`);
    await queryRunner.query(
      `CREATE INDEX "ix_sessions_active_idle" ON "sessions" ("idle_expires_at") WHERE status = 'active'`,
    );
    await queryRunner.query(`ALTER TABLE "sessions" DROP COLUMN "idle_sweep_at"`);
  }
}
