import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Failed-login protection v2 (issue 10): login_attempts locked an email for everyone, so a
 * stranger could keep the owner out. login_protection counts failures per account and scope
 * (`account`, `net:<client network>`, `dev:<hash of a known device id>`); delays follow from the
 * count and the last failure, so there is no lock to hold. The old counters are dropped: they
 * only ever delayed, and starting from zero lifts the lockouts they caused.
 */
export class LoginProtection1764000600000 implements MigrationInterface {
  name = 'LoginProtection1764000600000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "login_attempts"`);
    await queryRunner.query(
      `CREATE TABLE "login_protection" ("account_key" character varying(254) NOT NULL, "scope" character varying(100) NOT NULL, "failures" integer NOT NULL DEFAULT '0', "last_failure_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "pk_login_protection" PRIMARY KEY ("account_key", "scope"))`,
    );
    // For purging counters that have decayed.
    await queryRunner.query(
      `CREATE INDEX "ix_login_protection_last_failure" ON "login_protection" ("last_failure_at")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "login_protection"`);
    await queryRunner.query(
      `CREATE TABLE "login_attempts" ("email_normalized" character varying(254) NOT NULL, "failures" integer NOT NULL DEFAULT '0', "locked_until" TIMESTAMP WITH TIME ZONE, "last_failure_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "pk_login_attempts" PRIMARY KEY ("email_normalized"))`,
    );
  }
}
