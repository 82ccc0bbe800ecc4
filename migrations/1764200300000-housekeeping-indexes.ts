import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for the hourly pruners: published outbox events by publication time, and password
 * reset tokens by expiry (the other pruned tables had one already).
 */
export class HousekeepingIndexes1764200300000 implements MigrationInterface {
  name = 'HousekeepingIndexes1764200300000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "ix_outbox_events_published" ON "outbox_events" ("published_at") WHERE published_at IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_password_reset_tokens_expires" ON "password_reset_tokens" ("expires_at")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "ix_password_reset_tokens_expires"`);
    await queryRunner.query(`DROP INDEX "ix_outbox_events_published"`);
  }
}
