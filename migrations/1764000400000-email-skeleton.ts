import type { MigrationInterface, QueryRunner } from 'typeorm';
import { emailSkeleton } from '../src/users/email-identity';

const BATCH = 1000;

/**
 * Look-alike emails (issue 10): `pаypal@…` with a Cyrillic "а" registered next to
 * `paypal@…`. users.email_skeleton holds the UTS #39 confusable skeleton of the login key,
 * unique. Existing rows are back-filled in creation order; should two existing accounts already
 * share a skeleton, the newer keeps NULL (a unique index allows many) rather than failing the
 * upgrade: an operator can find them with `email_skeleton IS NULL`.
 */
export class EmailSkeleton1764000400000 implements MigrationInterface {
  name = 'EmailSkeleton1764000400000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "users" ADD "email_skeleton" text`);
    const seen = new Set<string>();
    let after: { created_at: Date; id: string } | undefined;
    for (;;) {
      const rows = (await queryRunner.query(
        `SELECT id, email_normalized, created_at FROM "users"
          WHERE ($1::timestamptz IS NULL OR (created_at, id) > ($1::timestamptz, $2::uuid))
          ORDER BY created_at, id LIMIT ${BATCH}`,
        [after?.created_at ?? null, after?.id ?? null],
      )) as Array<{ id: string; email_normalized: string; created_at: Date }>;
      if (rows.length === 0) break;
      const ids: string[] = [];
      const skeletons: string[] = [];
      for (const row of rows) {
        const skeleton = emailSkeleton(row.email_normalized);
        if (seen.has(skeleton)) continue;
        seen.add(skeleton);
        ids.push(row.id);
        skeletons.push(skeleton);
      }
      await queryRunner.query(
        `UPDATE "users" u SET email_skeleton = v.skeleton
           FROM unnest($1::uuid[], $2::text[]) AS v(id, skeleton) WHERE u.id = v.id`,
        [ids, skeletons],
      );
      after = rows[rows.length - 1];
    }
    await queryRunner.query(
      `CREATE UNIQUE INDEX "ux_users_email_skeleton" ON "users" ("email_skeleton") `,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ux_users_email_skeleton"`);
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "email_skeleton"`);
  }
}
