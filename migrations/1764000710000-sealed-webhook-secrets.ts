import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhook secrets sealed at rest (issue 10): a sealed value is longer than the plaintext. The
 * existing plaintext secrets are re-sealed by the application at its next start (the encryption
 * key is not available to a migration); until then the `whsec_` prefix marks them.
 */
export class SealedWebhookSecrets1764000710000 implements MigrationInterface {
  name = 'SealedWebhookSecrets1764000710000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "webhooks" ALTER COLUMN "secret" TYPE character varying(512)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // Sealed values do not fit the old width: the down migration needs plaintext secrets.
    await queryRunner.query(
      `ALTER TABLE "webhooks" ALTER COLUMN "secret" TYPE character varying(128)`,
    );
  }
}
