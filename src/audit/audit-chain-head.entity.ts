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

  @Column({ name: 'updated_at', type: 'timestamptz', nullable: true })
  updatedAt!: Date | null;
}
