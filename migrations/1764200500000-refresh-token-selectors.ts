import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Refresh tokens carry their row's id (`<id>.<secret>`, src/sessions/refresh-token-key.ts), so
 * they are found by primary key and the unique index on token_hash goes: each rotation wrote an
 * entry on a random page of it (a full-page WAL image after every checkpoint on a large table).
 *
 * Rows from before keep being found by hash until they are gone: they are marked legacy_format
 * (the column's first default, stored without rewriting the table), and a partial index covers
 * only them. New rows get false, and no entry in it.
 */
export class RefreshTokenSelectors1764200500000 implements MigrationInterface {
  name = 'RefreshTokenSelectors1764200500000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "refresh_tokens" ADD "legacy_format" boolean NOT NULL DEFAULT true`,
    );
    await queryRunner.query(
      `ALTER TABLE "refresh_tokens" ALTER COLUMN "legacy_format" SET DEFAULT false`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "ux_refresh_tokens_legacy_hash" ON "refresh_tokens" ("token_hash") WHERE legacy_format`,
    );
    await queryRunner.query(`DROP INDEX "ux_refresh_tokens_hash"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE UNIQUE INDEX "ux_refresh_tokens_hash" ON "refresh_tokens" ("token_hash")`,
    );
    await queryRunner.query(`DROP INDEX "ux_refresh_tokens_legacy_hash"`);
    await queryRunner.query(`ALTER TABLE "refresh_tokens" DROP COLUMN "legacy_format"`);
  }
}
