import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The single row (id 1) naming the newest record of the chain. Appends lock it (FOR UPDATE), which
 * serialises writers across instances, and verify() compares the chain's end with it, so deleting
 * the newest records is detected too.
 */
@Entity({ name: 'audit_chain_head' })
export class AuditChainHeadEntity {
  @PrimaryColumn({ type: 'smallint', primaryKeyConstraintName: 'pk_audit_chain_head' })
  id!: number;

  @Column({ name: 'last_hash', type: 'varchar', length: 64 })
  lastHash!: string;

  @Column({ name: 'last_event_id', type: 'uuid', nullable: true })
  lastEventId!: string | null;

  @Column({ name: 'record_count', type: 'bigint', default: 0 })
  recordCount!: string;

  /** The first record linked with the HMAC; earlier ones predate the keyed chain. */
  @Column({ name: 'keyed_from_seq', type: 'bigint', nullable: true })
  keyedFromSeq!: string | null;

  /** The hash the first keyed record links to (the head when the chain became keyed). */
  @Column({ name: 'keyed_from_prev_hash', type: 'varchar', length: 64, nullable: true })
  keyedFromPrevHash!: string | null;

  /** HMAC over the two fields above, written by the application (the migration has no key). */
  @Column({ name: 'keyed_from_mac', type: 'varchar', length: 64, nullable: true })
  keyedFromMac!: string | null;

  @Column({ name: 'updated_at', type: 'timestamptz', nullable: true })
  updatedAt!: Date | null;
}
