import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type AuditOutcome = 'success' | 'failure';

/**
 * One append-only audit record. Deliberately no foreign keys: records must outlive the users,
 * sessions and devices they describe. `prev_hash`/`hash` chain every record to the one before
 * it (see audit-hash.ts), so an edited or deleted row is detected by verify().
 */
@Entity({ name: 'audit_records' })
@Index('ux_audit_records_event_id', ['eventId'], { unique: true })
@Index('ix_audit_records_user_seq', ['userId', 'seq'])
@Index('ix_audit_records_session_seq', ['sessionId', 'seq'])
@Index('ix_audit_records_type_seq', ['type', 'seq'])
@Index('ix_audit_records_occurred_at', ['occurredAt'])
export class AuditRecordEntity {
  /** Chain order (and keyset order): assigned while the chain head is locked. */
  @PrimaryGeneratedColumn('increment', {
    type: 'bigint',
    primaryKeyConstraintName: 'pk_audit_records',
  })
  seq!: string;

  /** The lifecycle event id; unique, which makes a replayed event a no-op. */
  @Column({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  @Column({ type: 'varchar', length: 64 })
  type!: string;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;

  @Column({ name: 'recorded_at', type: 'timestamptz' })
  recordedAt!: Date;

  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId!: string | null;

  @Column({ name: 'actor_id', type: 'uuid', nullable: true })
  actorId!: string | null;

  @Column({ name: 'session_id', type: 'uuid', nullable: true })
  sessionId!: string | null;

  @Column({ name: 'device_id', type: 'uuid', nullable: true })
  deviceId!: string | null;

  @Column({ type: 'varchar', length: 45, nullable: true })
  ip!: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent!: string | null;

  @Column({ type: 'varchar', length: 16 })
  outcome!: AuditOutcome;

  @Column({ type: 'varchar', length: 64, nullable: true })
  reason!: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  data!: Record<string, unknown>;

  @Column({ name: 'prev_hash', type: 'varchar', length: 64 })
  prevHash!: string;

  @Column({ type: 'varchar', length: 64 })
  hash!: string;
}
