import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Second factors (src/mfa): TOTP factors (sealed seed, replay step), hashed recovery codes,
 * WebAuthn credentials and their single-use challenges, and the hashed `mfaToken`s that carry a
 * password-verified login to its second step. Every row goes with its user (ON DELETE CASCADE);
 * a passkey outlives a forgotten device (SET NULL).
 */
export class SecondFactors1764000300000 implements MigrationInterface {
  name = 'SecondFactors1764000300000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "totp_factors" ("user_id" uuid NOT NULL, "secret_sealed" text NOT NULL, "confirmed_at" TIMESTAMP WITH TIME ZONE, "last_used_step" integer NOT NULL DEFAULT '0', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "pk_totp_factors" PRIMARY KEY ("user_id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "recovery_codes" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "code_hash" character varying(64) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "used_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "pk_recovery_codes" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "ux_recovery_codes_user_hash" ON "recovery_codes"  ("user_id", "code_hash") `,
    );
    await queryRunner.query(
      `CREATE TABLE "webauthn_credentials" ("id" text NOT NULL, "user_id" uuid NOT NULL, "public_key" bytea NOT NULL, "sign_count" bigint NOT NULL DEFAULT '0', "transports" text array NOT NULL DEFAULT '{}', "backup_eligible" boolean NOT NULL, "backup_state" boolean NOT NULL, "device_type" character varying(16) NOT NULL, "aaguid" character varying(36) NOT NULL, "name" character varying(100) NOT NULL, "device_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "last_used_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "pk_webauthn_credentials" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_webauthn_credentials_device" ON "webauthn_credentials"  ("device_id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_webauthn_credentials_user" ON "webauthn_credentials"  ("user_id", "created_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "webauthn_challenges" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "challenge" character varying(128) NOT NULL, "purpose" character varying(16) NOT NULL, "user_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "consumed_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "pk_webauthn_challenges" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_webauthn_challenges_expires" ON "webauthn_challenges"  ("expires_at") `,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "ux_webauthn_challenges_challenge" ON "webauthn_challenges"  ("challenge") `,
    );
    await queryRunner.query(
      `CREATE TABLE "mfa_login_tokens" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "token_hash" character varying(64) NOT NULL, "user_id" uuid NOT NULL, "transport" character varying(8) NOT NULL, "remember_me" boolean NOT NULL, "device" jsonb, "ip" character varying(45), "user_agent" character varying(512), "first_factor_amr" text array NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "consumed_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "pk_mfa_login_tokens" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_mfa_login_tokens_expires" ON "mfa_login_tokens"  ("expires_at") `,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_mfa_login_tokens_user" ON "mfa_login_tokens"  ("user_id") `,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "ux_mfa_login_tokens_hash" ON "mfa_login_tokens"  ("token_hash") `,
    );
    await queryRunner.query(
      `ALTER TABLE "totp_factors" ADD CONSTRAINT "fk_totp_factors_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "recovery_codes" ADD CONSTRAINT "fk_recovery_codes_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "webauthn_credentials" ADD CONSTRAINT "fk_webauthn_credentials_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "webauthn_credentials" ADD CONSTRAINT "fk_webauthn_credentials_device" FOREIGN KEY ("device_id") REFERENCES "devices"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "webauthn_challenges" ADD CONSTRAINT "fk_webauthn_challenges_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "mfa_login_tokens" ADD CONSTRAINT "fk_mfa_login_tokens_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "mfa_login_tokens"`);
    await queryRunner.query(`DROP TABLE "webauthn_challenges"`);
    await queryRunner.query(`DROP TABLE "webauthn_credentials"`);
    await queryRunner.query(`DROP TABLE "recovery_codes"`);
    await queryRunner.query(`DROP TABLE "totp_factors"`);
  }
}
