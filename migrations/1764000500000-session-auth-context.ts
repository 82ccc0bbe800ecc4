import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The session's authentication context (RFC 9470 step-up): when the user last proved who they
 * are (`auth_time`) and how (`amr`, RFC 8176 values). Existing sessions were created by a
 * password login, so they get `{pwd}` and their creation time.
 */
export class SessionAuthContext1764000500000 implements MigrationInterface {
  name = 'SessionAuthContext1764000500000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sessions" ADD "auth_time" timestamptz`);
    await queryRunner.query(`UPDATE "sessions" SET auth_time = created_at`);
    await queryRunner.query(`ALTER TABLE "sessions" ALTER COLUMN "auth_time" SET NOT NULL`);
    await queryRunner.query(`ALTER TABLE "sessions" ADD "amr" text array NOT NULL DEFAULT '{pwd}'`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sessions" DROP COLUMN "amr"`);
    await queryRunner.query(`ALTER TABLE "sessions" DROP COLUMN "auth_time"`);
  }
}
