import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * DPoP (RFC 9449): a session may be bound to a client key (its RFC 7638 thumbprint), and the
 * proofs seen at the token endpoints are remembered until they could no longer be accepted
 * (replay cache shared by every instance when no Redis is configured).
 */
export class DpopBinding1764100600000 implements MigrationInterface {
  name = 'DpopBinding1764100600000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sessions" ADD "dpop_jkt" character varying(64)`);
    await queryRunner.query(
      `CREATE TABLE "dpop_proof_jtis" (
         "jti_hash" character varying(64) NOT NULL,
         "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
         CONSTRAINT "pk_dpop_proof_jtis" PRIMARY KEY ("jti_hash"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_dpop_proof_jtis_expires_at" ON "dpop_proof_jtis" ("expires_at")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "dpop_proof_jtis"`);
    await queryRunner.query(`ALTER TABLE "sessions" DROP COLUMN "dpop_jkt"`);
  }
}
