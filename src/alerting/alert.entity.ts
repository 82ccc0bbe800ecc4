import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type AlertSeverity = 'low' | 'medium' | 'high' | 'critical';
export type AlertStatus = 'open' | 'acknowledged' | 'resolved';

/** A security alert raised by a rule. Like audit records, it keeps no foreign key to the user. */
@Entity({ name: 'alerts' })
@Index('ux_alerts_trigger_event', ['triggerEventId', 'rule'], { unique: true })
@Index('ix_alerts_user_created', ['userId', 'createdAt', 'id'])
@Index('ix_alerts_created', ['createdAt', 'id'])
@Index('ix_alerts_rule_dedupe', ['rule', 'dedupeKey', 'lastSeenAt'])
export class AlertEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_alerts' })
  id!: string;

  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId!: string | null;

  @Column({ type: 'varchar', length: 64 })
  rule!: string;

  @Column({ type: 'varchar', length: 16 })
  severity!: AlertSeverity;

  @Column({ type: 'varchar', length: 16, default: 'open' })
  status!: AlertStatus;

  @Column({ type: 'varchar', length: 200 })
  title!: string;

  /** Alerts of one rule with one key fold into one while they are open and recent. */
  @Column({ name: 'dedupe_key', type: 'varchar', length: 200 })
  dedupeKey!: string;

  /** The event that raised the alert (with `rule`, unique: a replayed event raises nothing). */
  @Column({ name: 'trigger_event_id', type: 'uuid' })
  triggerEventId!: string;

  @Column({ name: 'evidence_event_ids', type: 'uuid', array: true })
  evidenceEventIds!: string[];

  @Column({ type: 'int', default: 1 })
  occurrences!: number;

  @Column({ type: 'varchar', length: 45, nullable: true })
  ip!: string | null;

  @Column({ name: 'first_seen_at', type: 'timestamptz' })
  firstSeenAt!: Date;

  @Column({ name: 'last_seen_at', type: 'timestamptz' })
  lastSeenAt!: Date;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'status_changed_at', type: 'timestamptz', nullable: true })
  statusChangedAt!: Date | null;

  @Column({ name: 'status_changed_by', type: 'uuid', nullable: true })
  statusChangedBy!: string | null;
}
