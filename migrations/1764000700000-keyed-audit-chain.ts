import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Keyed audit chain (issue 10). Records from `audit_chain_head.keyed_from_seq` on are linked with
 * HMAC-SHA-256 under AUDIT_HMAC_KEY_FILE; earlier ones (written before this migration) keep their
 * plain SHA-256 links. The boundary and the hash the first keyed record links to are sealed by
 * the application at its first start with an HMAC (`keyed_from_mac`): the migration has no key.
 * Once sealed, moving the boundary (to pass rewritten records off as unkeyed) fails verification.
 * Checkpoints written by a purge carry a MAC (`audit_checkpoints.mac`).
 */
export class KeyedAuditChain1764000700000 implements MigrationInterface {
  name = 'KeyedAuditChain1764000700000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "audit_chain_head" ADD "keyed_from_seq" bigint`);
    await queryRunner.query(
      `ALTER TABLE "audit_chain_head" ADD "keyed_from_prev_hash" character varying(64)`,
    );
    await queryRunner.query(
      `ALTER TABLE "audit_chain_head" ADD "keyed_from_mac" character varying(64)`,
    );
    await queryRunner.query(`ALTER TABLE "audit_checkpoints" ADD "mac" character varying(64)`);
    // Every existing record and checkpoint lies before the boundary; every new record after it.
    await queryRunner.query(
      `UPDATE "audit_chain_head" SET keyed_from_prev_hash = last_hash, keyed_from_seq = 1 + GREATEST(
         COALESCE((SELECT max(seq) FROM "audit_records"), 0),
         COALESCE((SELECT max(last_purged_seq) FROM "audit_checkpoints"), 0))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "audit_checkpoints" DROP COLUMN "mac"`);
    await queryRunner.query(`ALTER TABLE "audit_chain_head" DROP COLUMN "keyed_from_mac"`);
    await queryRunner.query(`ALTER TABLE "audit_chain_head" DROP COLUMN "keyed_from_prev_hash"`);
    await queryRunner.query(`ALTER TABLE "audit_chain_head" DROP COLUMN "keyed_from_seq"`);
  }
}
