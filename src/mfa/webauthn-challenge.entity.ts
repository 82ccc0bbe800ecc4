import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { UserEntity } from '../users/user.entity';

export type WebAuthnChallengePurpose = 'registration' | 'authentication' | 'step_up';

/** A WebAuthn challenge: single use (consumed_at) and short lived (expires_at). */
@Entity({ name: 'webauthn_challenges' })
@Index('ux_webauthn_challenges_challenge', ['challenge'], { unique: true })
@Index('ix_webauthn_challenges_expires', ['expiresAt'])
export class WebAuthnChallengeEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_webauthn_challenges' })
  id!: string;

  /** base64url of 32 random bytes, as sent to the browser and echoed in clientDataJSON. */
  @Column({ type: 'varchar', length: 128 })
  challenge!: string;

  @Column({ type: 'varchar', length: 16 })
  purpose!: WebAuthnChallengePurpose;

  /** Null for a discoverable (passwordless) sign-in, where the user is not known yet. */
  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId!: string | null;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_webauthn_challenges_user' })
  user?: UserEntity;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'consumed_at', type: 'timestamptz', nullable: true })
  consumedAt!: Date | null;
}
