import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A lifecycle event written in the same transaction as the state change it describes, then
 * published by the relay. `seq` orders delivery; `claimedUntil` is the relay's lease (or, with no `claimedBy`, a retry backoff)
 * and `claimedBy` the relay instance holding it.
 */
@Entity({ name: 'outbox_events' })
@Index('ix_outbox_events_unpublished', ['seq'], { where: 'published_at IS NULL' })
@Index('ux_outbox_events_seq', ['seq'], { unique: true })
@Index('ix_outbox_events_published', ['publishedAt'], { where: 'published_at IS NOT NULL' })
export class OutboxEventEntity {
  @PrimaryColumn('uuid', { primaryKeyConstraintName: 'pk_outbox_events' })
  id!: string;

  @Column({ type: 'bigint', generated: 'increment' })
  seq!: string;

  @Column({ type: 'varchar', length: 64 })
  type!: string;

  @Column({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;

  @Column({ name: 'published_at', type: 'timestamptz', nullable: true })
  publishedAt!: Date | null;

  @Column({ name: 'claimed_until', type: 'timestamptz', nullable: true })
  claimedUntil!: Date | null;

  @Column({ name: 'claimed_by', type: 'uuid', nullable: true })
  claimedBy!: string | null;

  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;
}
