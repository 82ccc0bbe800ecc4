import { Column, Entity, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import { UserEntity } from '../users/user.entity';

/** A user's TOTP authenticator (at most one). Pending until the first code confirms it. */
@Entity({ name: 'totp_factors' })
export class TotpFactorEntity {
  @PrimaryColumn({ name: 'user_id', type: 'uuid', primaryKeyConstraintName: 'pk_totp_factors' })
  userId!: string;

  @OneToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_totp_factors_user' })
  user?: UserEntity;

  /** The base32 seed, sealed by SecretBox with associated data `totp:<user id>`. */
  @Column({ name: 'secret_sealed', type: 'text' })
  secretSealed!: string;

  @Column({ name: 'confirmed_at', type: 'timestamptz', nullable: true })
  confirmedAt!: Date | null;

  /**
   * The newest RFC 6238 time step accepted; a code is accepted only for a later step, so each
   * code works once (integer: steps stay below 2^31 until the year 4010).
   */
  @Column({ name: 'last_used_step', type: 'int', default: 0 })
  lastUsedStep!: number;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
