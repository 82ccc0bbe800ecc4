import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import type { Role } from '../common/role';

export type { Role };

@Entity({ name: 'users' })
@Index('ux_users_email_normalized', ['emailNormalized'], { unique: true })
@Index('ux_users_email_skeleton', ['emailSkeleton'], { unique: true })
export class UserEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_users' })
  id!: string;

  /** As the user typed it (trimmed); shown back to them. */
  @Column({ type: 'varchar', length: 254 })
  email!: string;

  /** Lower-cased, NFKC-normalised: the unique, case-insensitive login key. */
  @Column({ name: 'email_normalized', type: 'varchar', length: 254 })
  emailNormalized!: string;

  /** UTS #39 confusable skeleton of emailNormalized: unique, so look-alikes cannot register. */
  @Column({ name: 'email_skeleton', type: 'text', nullable: true })
  emailSkeleton!: string | null;

  @Column({ name: 'display_name', type: 'varchar', length: 100, nullable: true })
  displayName!: string | null;

  @Column({ type: 'text', array: true, default: () => "'{user}'" })
  roles!: Role[];

  @Column({ name: 'password_hash', type: 'text' })
  passwordHash!: string;

  @Column({ name: 'password_changed_at', type: 'timestamptz' })
  passwordChangedAt!: Date;

  /** Locked by an administrator; unlike a lockout it does not end by itself. */
  @Column({ type: 'boolean', default: false })
  locked!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
