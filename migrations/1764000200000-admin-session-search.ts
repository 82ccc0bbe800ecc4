import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Admin session search (GET /admin/sessions): newest first, keyset on (created_at, id), filtered
 * by user, status, device or IP. One index per filter column followed by the keyset columns
 * makes every page an index range scan, however many sessions there are and however deep the
 * page. The device and IP indexes replace the single-column ones they extend (every lookup
 * those served, these serve too), so session writes pay for two more indexes, not four.
 */
export class AdminSessionSearch1764000200000 implements MigrationInterface {
  name = 'AdminSessionSearch1764000200000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "ix_sessions_user_created" ON "sessions" ("user_id", "created_at", "id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_sessions_status_created" ON "sessions" ("status", "created_at", "id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_sessions_device_created" ON "sessions" ("device_id", "created_at", "id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_sessions_ip_created" ON "sessions" ("ip", "created_at", "id") `,
    );
    await queryRunner.query(`DROP INDEX "public"."ix_sessions_device"`);
    await queryRunner.query(`DROP INDEX "public"."ix_sessions_ip"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "ix_sessions_ip" ON "sessions" ("ip") `);
    await queryRunner.query(`CREATE INDEX "ix_sessions_device" ON "sessions" ("device_id") `);
    await queryRunner.query(`DROP INDEX "public"."ix_sessions_ip_created"`);
    await queryRunner.query(`DROP INDEX "public"."ix_sessions_device_created"`);
    await queryRunner.query(`DROP INDEX "public"."ix_sessions_status_created"`);
    await queryRunner.query(`DROP INDEX "public"."ix_sessions_user_created"`);
  }
}
