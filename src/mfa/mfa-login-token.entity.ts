import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { UserEntity } from '../users/user.entity';

export type MfaTransport = 'header' | 'cookie';

/** The device hint the password step carried, replayed when the second step mints the session. */
export interface MfaDeviceHint {
  id?: string;
  name?: string;
  platform?: string;
}

/**
 * The `mfaToken` between the password step and the second factor: only its SHA-256 is stored,
 * with the login context it is bound to, so the second step cannot change transport,
 * remember-me or device.
 */
@Entity({ name: 'mfa_login_tokens' })
@Index('ux_mfa_login_tokens_hash', ['tokenHash'], { unique: true })
@Index('ix_mfa_login_tokens_user', ['userId'])
@Index('ix_mfa_login_tokens_expires', ['expiresAt'])
export class MfaLoginTokenEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_mfa_login_tokens' })
  id!: string;

  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_mfa_login_tokens_user' })
  user?: UserEntity;

  @Column({ type: 'varchar', length: 8 })
  transport!: MfaTransport;

  @Column({ name: 'remember_me', type: 'boolean' })
  rememberMe!: boolean;

  @Column({ type: 'jsonb', nullable: true })
  device!: MfaDeviceHint | null;

  @Column({ type: 'varchar', length: 45, nullable: true })
  ip!: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent!: string | null;

  /** RFC 8176 values of the first factor, e.g. {pwd}. */
  @Column({ name: 'first_factor_amr', type: 'text', array: true })
  firstFactorAmr!: string[];

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'consumed_at', type: 'timestamptz', nullable: true })
  consumedAt!: Date | null;
}
