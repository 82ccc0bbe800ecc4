import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One alert handed to one channel: a replayed `alert.raised` is not handed over twice. */
@Entity({ name: 'alert_dispatches' })
export class AlertDispatchEntity {
  @PrimaryColumn({
    name: 'alert_id',
    type: 'uuid',
    primaryKeyConstraintName: 'pk_alert_dispatches',
  })
  alertId!: string;

  @PrimaryColumn({ type: 'varchar', length: 64, primaryKeyConstraintName: 'pk_alert_dispatches' })
  channel!: string;

  @Column({ name: 'dispatched_at', type: 'timestamptz' })
  dispatchedAt!: Date;
}
