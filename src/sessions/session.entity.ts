import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { DeviceEntity } from '../devices/device.entity';
import { UserEntity } from '../users/user.entity';

export type SessionStatus = 'active' | 'revoked' | 'expired';

@Entity({ name: 'sessions' })
// No index holds last_active_at or idle_expires_at: activity and rotation then update the row
// HOT (no index entries), which matters with ten indexes on a large table.
@Index('ix_sessions_user_active', ['userId'], { where: "status = 'active'" })
@Index('ix_sessions_active_idle_sweep', ['idleSweepAt'], { where: "status = 'active'" })
@Index('ix_sessions_active_absolute', ['expiresAt'], { where: "status = 'active'" })
@Index('ix_sessions_ended_at', ['endedAt'], { where: 'ended_at IS NOT NULL' })
@Index('ix_sessions_created_id', ['createdAt', 'id'])
// Admin search (SessionSearchService): each filter column leads, then the (created_at, id) keyset.
@Index('ix_sessions_user_created', ['userId', 'createdAt', 'id'])
@Index('ix_sessions_status_created', ['status', 'createdAt', 'id'])
@Index('ix_sessions_device_created', ['deviceId', 'createdAt', 'id'])
@Index('ix_sessions_ip_created', ['ip', 'createdAt', 'id'])
export class SessionEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_sessions' })
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_sessions_user' })
  user?: UserEntity;

  @Column({ name: 'device_id', type: 'uuid', nullable: true })
  deviceId!: string | null;

  @ManyToOne(() => DeviceEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'device_id', foreignKeyConstraintName: 'fk_sessions_device' })
  device?: DeviceEntity;

  @Column({ type: 'varchar', length: 16, default: 'active' })
  status!: SessionStatus;

  @Column({ name: 'remember_me', type: 'boolean', default: false })
  rememberMe!: boolean;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'last_active_at', type: 'timestamptz' })
  lastActiveAt!: Date;

  /** This session's idle timeout, fixed at creation (remember-me sessions get the long one). */
  @Column({ name: 'idle_timeout_seconds', type: 'int' })
  idleTimeoutSeconds!: number;

  /** last_active_at + idle timeout (capped by expires_at); unindexed, see idleSweepAt. */
  @Column({ name: 'idle_expires_at', type: 'timestamptz' })
  idleExpiresAt!: Date;

  /**
   * A lower bound of idle_expires_at that the expiry sweep finds by index. Activity leaves it
   * (keeping its updates HOT); the sweep moves it up when it finds the session active since.
   */
  @Column({ name: 'idle_sweep_at', type: 'timestamptz' })
  idleSweepAt!: Date;

  /** The absolute deadline; activity never moves it. */
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ type: 'varchar', length: 45, nullable: true })
  ip!: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent!: string | null;

  @Column({ name: 'refresh_generation', type: 'int', default: 0 })
  refreshGeneration!: number;

  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true })
  endedAt!: Date | null;

  /** A revocation reason (logout, admin …) or an expiry reason (idle, absolute). */
  @Column({ name: 'end_reason', type: 'varchar', length: 32, nullable: true })
  endReason!: string | null;

  @Column({ name: 'ended_by', type: 'uuid', nullable: true })
  endedBy!: string | null;

  /** When the user last authenticated in this session (login or step-up; RFC 9470 auth_time). */
  @Column({ name: 'auth_time', type: 'timestamptz' })
  authTime!: Date;

  /** How the user authenticated (RFC 8176 values, e.g. pwd, otp, mfa); step-ups add to it. */
  @Column({ type: 'text', array: true, default: () => "'{pwd}'" })
  amr!: string[];

  /** DPoP (RFC 9449): the thumbprint of the key the session's tokens are bound to, if any. */
  @Column({ name: 'dpop_jkt', type: 'varchar', length: 64, nullable: true })
  dpopJkt!: string | null;
}
