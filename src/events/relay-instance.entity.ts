import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One running outbox relay (one process), kept alive by its heartbeat. A claim whose owner's
 * `lastSeen` is stale belongs to a dead process and is taken over at once instead of waiting
 * out its lease.
 */
@Entity({ name: 'outbox_relay_instances' })
export class RelayInstanceEntity {
  @PrimaryColumn('uuid', { primaryKeyConstraintName: 'pk_outbox_relay_instances' })
  id!: string;

  @Column({ name: 'started_at', type: 'timestamptz' })
  startedAt!: Date;

  @Column({ name: 'last_seen', type: 'timestamptz' })
  lastSeen!: Date;
}
