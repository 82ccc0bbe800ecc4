import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * Failed-login counters per account (the normalised email, whether or not an account exists) and
 * scope: `account` (every failure), `net:<client network>` or `dev:<hash of a known device id>`.
 * A delay follows from (failures, last_failure_at); see LoginProtectionService.
 */
@Entity({ name: 'login_protection' })
@Index('ix_login_protection_last_failure', ['lastFailureAt'])
export class LoginProtectionEntity {
  @PrimaryColumn({
    primaryKeyConstraintName: 'pk_login_protection',
    name: 'account_key',
    type: 'varchar',
    length: 254,
  })
  accountKey!: string;

  @PrimaryColumn({ primaryKeyConstraintName: 'pk_login_protection', type: 'varchar', length: 100 })
  scope!: string;

  @Column({ type: 'int', default: 0 })
  failures!: number;

  @Column({ name: 'last_failure_at', type: 'timestamptz' })
  lastFailureAt!: Date;
}
