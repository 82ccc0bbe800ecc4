import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * What each rule has seen, by subject (an account, an IP): the memory behind "N in a window" and
 * "first time". The (event, rule) key makes evaluating a replayed event a no-op.
 */
@Entity({ name: 'alert_observations' })
@Index('ix_alert_observations_subject', ['rule', 'subject', 'occurredAt'])
export class AlertObservationEntity {
  @PrimaryColumn({
    name: 'event_id',
    type: 'uuid',
    primaryKeyConstraintName: 'pk_alert_observations',
  })
  eventId!: string;

  @PrimaryColumn({ type: 'varchar', length: 64, primaryKeyConstraintName: 'pk_alert_observations' })
  rule!: string;

  @Column({ type: 'varchar', length: 200 })
  subject!: string;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;
}
