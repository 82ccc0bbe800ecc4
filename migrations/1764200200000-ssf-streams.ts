import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Shared Signals (SSF 1.0) transmitter: receivers' event streams, the queue of Security Event
 * Tokens (one per stream and lifecycle event), and the subjects receivers removed from streams.
 */
export class SsfStreams1764200200000 implements MigrationInterface {
  name = 'SsfStreams1764200200000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "ssf_streams" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "client_id" character varying(200) NOT NULL, "audience" character varying(200) NOT NULL, "description" character varying(200), "events_requested" text array NOT NULL, "delivery_method" character varying(32) NOT NULL, "endpoint_url" character varying(2048), "authorization_header" text, "status" character varying(16) NOT NULL DEFAULT 'enabled', "status_reason" character varying(500), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "pk_ssf_streams" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_ssf_streams_client" ON "ssf_streams" ("client_id")`);
    await queryRunner.query(
      `CREATE TABLE "ssf_sets" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "seq" BIGSERIAL NOT NULL, "stream_id" uuid NOT NULL, "outbox_event_id" uuid, "jti" character varying(64) NOT NULL, "event_type" character varying(200) NOT NULL, "claims" jsonb NOT NULL, "status" character varying(16) NOT NULL DEFAULT 'pending', "attempts" integer NOT NULL DEFAULT '0', "next_attempt_at" TIMESTAMP WITH TIME ZONE NOT NULL, "claimed_by" uuid, "claimed_until" TIMESTAMP WITH TIME ZONE, "last_status_code" integer, "last_error" character varying(500), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "delivered_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "pk_ssf_sets" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_ssf_sets_stream_pending" ON "ssf_sets" ("stream_id", "seq") WHERE status = 'pending'`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_ssf_sets_due" ON "ssf_sets" ("next_attempt_at") WHERE status = 'pending'`,
    );
    // What the retention prune looks for: finished SETs by age.
    await queryRunner.query(
      `CREATE INDEX "ix_ssf_sets_finished" ON "ssf_sets" ("created_at") WHERE status <> 'pending'`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "ux_ssf_sets_jti" ON "ssf_sets" ("jti")`);
    // At most one SET per stream and lifecycle event, however often the relay delivers it.
    await queryRunner.query(
      `CREATE UNIQUE INDEX "ux_ssf_sets_stream_event" ON "ssf_sets" ("stream_id", "outbox_event_id")`,
    );
    await queryRunner.query(
      `ALTER TABLE "ssf_sets" ADD CONSTRAINT "fk_ssf_sets_stream" FOREIGN KEY ("stream_id") REFERENCES "ssf_streams"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `CREATE TABLE "ssf_subject_exclusions" ("stream_id" uuid NOT NULL, "user_id" character varying(255) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "pk_ssf_subject_exclusions" PRIMARY KEY ("stream_id", "user_id"))`,
    );
    await queryRunner.query(
      `ALTER TABLE "ssf_subject_exclusions" ADD CONSTRAINT "fk_ssf_subject_exclusions_stream" FOREIGN KEY ("stream_id") REFERENCES "ssf_streams"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "ssf_subject_exclusions"`);
    await queryRunner.query(`DROP TABLE "ssf_sets"`);
    await queryRunner.query(`DROP TABLE "ssf_streams"`);
  }
}
