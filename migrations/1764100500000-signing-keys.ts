import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Live signing-key rotation (issue 14): generated keys move from DATA_DIR/keys files into the
 * database, shared by every instance. Existing key files are imported by the application at its
 * first start (a migration cannot seal them: the encryption key is not the database's).
 */
export class SigningKeys1764100500000 implements MigrationInterface {
  name = 'SigningKeys1764100500000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "signing_keys" ("kid" character varying(64) NOT NULL, "alg" character varying(16) NOT NULL, "public_jwk" jsonb NOT NULL, "private_key" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "sign_from" TIMESTAMP WITH TIME ZONE NOT NULL, "retire_after" TIMESTAMP WITH TIME ZONE, CONSTRAINT "pk_signing_keys" PRIMARY KEY ("kid"))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "signing_keys"`);
  }
}
