import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Service clients (issue 14): confidential OAuth clients that call /oauth/introspect,
 * /oauth/revoke and the service routes, authenticated by a hashed secret or private_key_jwt.
 * Their client_assertion jtis are remembered until expiry so a replay is refused everywhere.
 */
export class ServiceClients1764200100000 implements MigrationInterface {
  name = 'ServiceClients1764200100000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "service_clients" (
         "id" character varying(64) NOT NULL,
         "name" character varying(200) NOT NULL,
         "scopes" text array NOT NULL,
         "auth_method" character varying(32) NOT NULL,
         "secret_hash" character varying(64),
         "jwks" jsonb,
         "created_at" TIMESTAMP WITH TIME ZONE NOT NULL,
         "disabled_at" TIMESTAMP WITH TIME ZONE,
         "last_used_at" TIMESTAMP WITH TIME ZONE,
         CONSTRAINT "pk_service_clients" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "client_assertion_jtis" (
         "jti_hash" character varying(64) NOT NULL,
         "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
         CONSTRAINT "pk_client_assertion_jtis" PRIMARY KEY ("jti_hash"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_client_assertion_jtis_expires_at" ON "client_assertion_jtis" ("expires_at")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "client_assertion_jtis"`);
    await queryRunner.query(`DROP TABLE "service_clients"`);
  }
}
