import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { AlertSeverity } from './alert.entity';

/** An HTTPS endpoint that receives alerts, signed with its own HMAC secret. */
@Entity({ name: 'webhooks' })
@Index('ix_webhooks_created', ['createdAt', 'id'])
export class WebhookEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_webhooks' })
  id!: string;

  @Column({ type: 'varchar', length: 2048 })
  url!: string;

  /**
   * The HMAC-SHA256 key, sealed by SecretBox (associated data `webhook:<id>`); shown once at
   * creation. It must be usable, so it cannot be hashed. Rows from before sealing hold the
   * plaintext (prefix `whsec_`) until the next start re-seals them.
   */
  @Column({ type: 'varchar', length: 512 })
  secret!: string;

  @Column({ type: 'varchar', length: 200, nullable: true })
  description!: string | null;

  @Column({ name: 'min_severity', type: 'varchar', length: 16, default: 'low' })
  minSeverity!: AlertSeverity;

  @Column({ type: 'boolean', default: true })
  active!: boolean;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'created_by', type: 'uuid', nullable: true })
  createdBy!: string | null;
}
