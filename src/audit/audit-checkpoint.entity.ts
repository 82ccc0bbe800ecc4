import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Sealed by the retention purge before it deletes a prefix of the chain: the hash of the last
 * purged record becomes the anchor the first remaining record must link to.
 */
@Entity({ name: 'audit_checkpoints' })
export class AuditCheckpointEntity {
  @PrimaryGeneratedColumn('increment', {
    type: 'bigint',
    primaryKeyConstraintName: 'pk_audit_checkpoints',
  })
  id!: string;

  @Column({ name: 'last_purged_seq', type: 'bigint' })
  lastPurgedSeq!: string;

  @Column({ name: 'last_purged_hash', type: 'varchar', length: 64 })
  lastPurgedHash!: string;

  @Column({ name: 'purged_count', type: 'int' })
  purgedCount!: number;

  /** HMAC under the audit key: a checkpoint forged to hide deleted records does not verify. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  mac!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
