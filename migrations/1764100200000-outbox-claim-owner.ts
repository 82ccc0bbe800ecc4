import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Outbox claims name their owner, and relay instances heartbeat (issue 12): after a crash the
 * dead owner's claims are taken over within seconds instead of after the 30 s lease.
 */
export class OutboxClaimOwner1764100200000 implements MigrationInterface {
  name = 'OutboxClaimOwner1764100200000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "outbox_relay_instances" ("id" uuid NOT NULL, "started_at" TIMESTAMP WITH TIME ZONE NOT NULL, "last_seen" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "pk_outbox_relay_instances" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`ALTER TABLE "outbox_events" ADD "claimed_by" uuid`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "outbox_events" DROP COLUMN "claimed_by"`);
    await queryRunner.query(`DROP TABLE "outbox_relay_instances"`);
  }
}
