import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { SsfStreamEntity } from './ssf-stream.entity';

/**
 * pending: to push, or to hand out on poll · delivered: a push receiver answered 2xx · acked: a
 * poller acknowledged it · failed: refused for good (push 400, setErrs, or out of attempts).
 */
export type SsfSetStatus = 'pending' | 'delivered' | 'acked' | 'failed';

/**
 * One Security Event Token for one stream: the queue of push and poll delivery and its log. The
 * claims (with a stable `jti`) are kept, so a re-send after a crash is the identical SET. One row
 * per (stream, outbox event): a redelivered lifecycle event never makes a second SET.
 */
@Entity({ name: 'ssf_sets' })
@Index('ux_ssf_sets_stream_event', ['streamId', 'outboxEventId'], { unique: true })
@Index('ux_ssf_sets_jti', ['jti'], { unique: true })
@Index('ix_ssf_sets_due', ['nextAttemptAt'], { where: "status = 'pending'" })
@Index('ix_ssf_sets_finished', ['createdAt'], { where: "status <> 'pending'" })
@Index('ix_ssf_sets_stream_pending', ['streamId', 'seq'], { where: "status = 'pending'" })
export class SsfSetEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_ssf_sets' })
  id!: string;

  /** Queue order: a stream's SETs go out in the order their events were published. */
  @Column({ type: 'bigint', generated: 'increment' })
  seq!: string;

  @Column({ name: 'stream_id', type: 'uuid' })
  streamId!: string;

  @ManyToOne(() => SsfStreamEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'stream_id', foreignKeyConstraintName: 'fk_ssf_sets_stream' })
  stream?: SsfStreamEntity;

  /** The lifecycle event it came from; null for a stream verification SET. */
  @Column({ name: 'outbox_event_id', type: 'uuid', nullable: true })
  outboxEventId!: string | null;

  @Column({ type: 'varchar', length: 64 })
  jti!: string;

  @Column({ name: 'event_type', type: 'varchar', length: 200 })
  eventType!: string;

  /** The SET's JWT claims, signed at each delivery (the current key; same claims, same jti). */
  @Column({ type: 'jsonb' })
  claims!: Record<string, unknown>;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status!: SsfSetStatus;

  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @Column({ name: 'next_attempt_at', type: 'timestamptz' })
  nextAttemptAt!: Date;

  /** The relay instance pushing it now (outbox_relay_instances.id) and until when. */
  @Column({ name: 'claimed_by', type: 'uuid', nullable: true })
  claimedBy!: string | null;

  @Column({ name: 'claimed_until', type: 'timestamptz', nullable: true })
  claimedUntil!: Date | null;

  @Column({ name: 'last_status_code', type: 'int', nullable: true })
  lastStatusCode!: number | null;

  @Column({ name: 'last_error', type: 'varchar', length: 500, nullable: true })
  lastError!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt!: Date | null;
}
