import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { SessionEntity } from './session.entity';

export type RefreshTokenStatus = 'active' | 'rotated' | 'revoked';

/**
 * One refresh token of a session's rotation family. Only the SHA-256 of the token is stored
 * (the token has 256 bits of entropy, so a fast hash suffices). A token carries its row's id
 * (refresh-token-key.ts); only rows of the earlier, id-less format are looked up by hash.
 */
@Entity({ name: 'refresh_tokens' })
@Index('ix_refresh_tokens_session', ['sessionId'])
@Index('ux_refresh_tokens_legacy_hash', ['tokenHash'], { unique: true, where: 'legacy_format' })
export class RefreshTokenEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_refresh_tokens' })
  id!: string;

  @Column({ name: 'session_id', type: 'uuid' })
  sessionId!: string;

  @ManyToOne(() => SessionEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'session_id', foreignKeyConstraintName: 'fk_refresh_tokens_session' })
  session?: SessionEntity;

  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash!: string;

  /** Issued before tokens carried their id: found by hash (ux_refresh_tokens_legacy_hash). */
  @Column({ name: 'legacy_format', type: 'boolean', default: false })
  legacyFormat!: boolean;

  @Column({ type: 'int' })
  generation!: number;

  @Column({ type: 'varchar', length: 16, default: 'active' })
  status!: RefreshTokenStatus;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'rotated_at', type: 'timestamptz', nullable: true })
  rotatedAt!: Date | null;

  /**
   * The successor token, encrypted under a key derived from THIS token, kept only while a reuse
   * grace window is configured: a client that lost the response can replay this token and get
   * the same successor back, and nobody without this token can read it.
   */
  @Column({ name: 'successor_sealed', type: 'text', nullable: true })
  successorSealed!: string | null;
}
