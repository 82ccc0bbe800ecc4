import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The hash-chained audit log (records, chain head, retention checkpoints) and alerting (alerts,
 * rule observations, channel dispatches, webhooks and their delivery queue). Audit and alert
 * rows carry no foreign keys to users or sessions: they must outlive them.
 */
export class AuditAndAlerting1764000100000 implements MigrationInterface {
  name = 'AuditAndAlerting1764000100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "audit_records" ("seq" BIGSERIAL NOT NULL, "event_id" uuid NOT NULL, "type" character varying(64) NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL, "recorded_at" TIMESTAMP WITH TIME ZONE NOT NULL, "user_id" uuid, "actor_id" uuid, "session_id" uuid, "device_id" uuid, "ip" character varying(45), "user_agent" character varying(512), "outcome" character varying(16) NOT NULL, "reason" character varying(64), "data" jsonb NOT NULL DEFAULT '{}', "prev_hash" character varying(64) NOT NULL, "hash" character varying(64) NOT NULL, CONSTRAINT "pk_audit_records" PRIMARY KEY ("seq"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "ux_audit_records_event_id" ON "audit_records" ("event_id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_audit_records_user_seq" ON "audit_records" ("user_id", "seq")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_audit_records_session_seq" ON "audit_records" ("session_id", "seq")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_audit_records_type_seq" ON "audit_records" ("type", "seq")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_audit_records_occurred_at" ON "audit_records" ("occurred_at")`,
    );
    await queryRunner.query(
      `CREATE TABLE "audit_chain_head" ("id" smallint NOT NULL, "last_hash" character varying(64) NOT NULL, "last_event_id" uuid, "record_count" bigint NOT NULL DEFAULT '0', "updated_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "pk_audit_chain_head" PRIMARY KEY ("id"))`,
    );
    // The one head row, anchored at the genesis hash.
    await queryRunner.query(
      `INSERT INTO "audit_chain_head" ("id", "last_hash") VALUES (1, repeat('0', 64))`,
    );
    await queryRunner.query(
      `CREATE TABLE "audit_checkpoints" ("id" BIGSERIAL NOT NULL, "last_purged_seq" bigint NOT NULL, "last_purged_hash" character varying(64) NOT NULL, "purged_count" integer NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "pk_audit_checkpoints" PRIMARY KEY ("id"))`,
    );

    await queryRunner.query(
      `CREATE TABLE "alerts" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid, "rule" character varying(64) NOT NULL, "severity" character varying(16) NOT NULL, "status" character varying(16) NOT NULL DEFAULT 'open', "title" character varying(200) NOT NULL, "dedupe_key" character varying(200) NOT NULL, "trigger_event_id" uuid NOT NULL, "evidence_event_ids" uuid array NOT NULL, "occurrences" integer NOT NULL DEFAULT '1', "ip" character varying(45), "first_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL, "last_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "status_changed_at" TIMESTAMP WITH TIME ZONE, "status_changed_by" uuid, CONSTRAINT "pk_alerts" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "ux_alerts_trigger_event" ON "alerts" ("trigger_event_id", "rule")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_alerts_user_created" ON "alerts" ("user_id", "created_at", "id")`,
    );
    await queryRunner.query(`CREATE INDEX "ix_alerts_created" ON "alerts" ("created_at", "id")`);
    await queryRunner.query(
      `CREATE INDEX "ix_alerts_rule_dedupe" ON "alerts" ("rule", "dedupe_key", "last_seen_at")`,
    );
    await queryRunner.query(
      `CREATE TABLE "alert_observations" ("event_id" uuid NOT NULL, "rule" character varying(64) NOT NULL, "subject" character varying(200) NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "pk_alert_observations" PRIMARY KEY ("event_id", "rule"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_alert_observations_subject" ON "alert_observations" ("rule", "subject", "occurred_at")`,
    );
    await queryRunner.query(
      `CREATE TABLE "alert_dispatches" ("alert_id" uuid NOT NULL, "channel" character varying(64) NOT NULL, "dispatched_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "pk_alert_dispatches" PRIMARY KEY ("alert_id", "channel"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "webhooks" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "url" character varying(2048) NOT NULL, "secret" character varying(128) NOT NULL, "description" character varying(200), "min_severity" character varying(16) NOT NULL DEFAULT 'low', "active" boolean NOT NULL DEFAULT true, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "created_by" uuid, CONSTRAINT "pk_webhooks" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_webhooks_created" ON "webhooks" ("created_at", "id")`,
    );
    await queryRunner.query(
      `CREATE TABLE "webhook_deliveries" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "webhook_id" uuid NOT NULL, "alert_id" uuid NOT NULL, "payload" jsonb NOT NULL, "status" character varying(16) NOT NULL DEFAULT 'pending', "attempts" integer NOT NULL DEFAULT '0', "next_attempt_at" TIMESTAMP WITH TIME ZONE NOT NULL, "claimed_until" TIMESTAMP WITH TIME ZONE, "last_status_code" integer, "last_error" character varying(500), "last_duration_ms" integer, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "delivered_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "pk_webhook_deliveries" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "ux_webhook_deliveries_webhook_alert" ON "webhook_deliveries" ("webhook_id", "alert_id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_webhook_deliveries_due" ON "webhook_deliveries" ("next_attempt_at") WHERE status = 'pending'`,
    );
    await queryRunner.query(
      `ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "fk_webhook_deliveries_webhook" FOREIGN KEY ("webhook_id") REFERENCES "webhooks"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "webhook_deliveries"`);
    await queryRunner.query(`DROP TABLE "webhooks"`);
    await queryRunner.query(`DROP TABLE "alert_dispatches"`);
    await queryRunner.query(`DROP TABLE "alert_observations"`);
    await queryRunner.query(`DROP TABLE "alerts"`);
    await queryRunner.query(`DROP TABLE "audit_checkpoints"`);
    await queryRunner.query(`DROP TABLE "audit_chain_head"`);
    await queryRunner.query(`DROP TABLE "audit_records"`);
  }
}
