import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Failed-login state per normalised email, whether or not an account exists, so that lockout
 * behaves identically for unknown and known emails (no enumeration through 423).
 */
@Entity({ name: 'login_attempts' })
export class LoginAttemptEntity {
  @PrimaryColumn({
    primaryKeyConstraintName: 'pk_login_attempts',
    name: 'email_normalized',
    type: 'varchar',
    length: 254,
  })
  emailNormalized!: string;

  @Column({ type: 'int', default: 0 })
  failures!: number;

  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true })
  lockedUntil!: Date | null;

  @Column({ name: 'last_failure_at', type: 'timestamptz', nullable: true })
  lastFailureAt!: Date | null;
}
