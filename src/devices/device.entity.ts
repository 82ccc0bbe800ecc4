import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { UserEntity } from '../users/user.entity';

@Entity({ name: 'devices' })
@Index('ux_devices_user_client_id', ['userId', 'clientDeviceId'], { unique: true })
@Index('ix_devices_user_last_seen', ['userId', 'lastSeenAt'])
export class DeviceEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_devices' })
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_devices_user' })
  user?: UserEntity;

  /**
   * The device's own stable id: sent by a mobile app, kept in a device cookie by browsers, or
   * (lacking both) a hash of the user agent. Unique per user.
   */
  @Column({ name: 'client_device_id', type: 'varchar', length: 128 })
  clientDeviceId!: string;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ type: 'varchar', length: 50, nullable: true })
  platform!: string | null;

  @Column({ type: 'varchar', length: 50, nullable: true })
  os!: string | null;

  @Column({ type: 'varchar', length: 50, nullable: true })
  browser!: string | null;

  @Column({ type: 'boolean', default: false })
  trusted!: boolean;

  @Column({ name: 'trusted_at', type: 'timestamptz', nullable: true })
  trustedAt!: Date | null;

  @Column({ name: 'first_seen_at', type: 'timestamptz' })
  firstSeenAt!: Date;

  @Column({ name: 'last_seen_at', type: 'timestamptz' })
  lastSeenAt!: Date;

  @Column({ name: 'last_ip', type: 'varchar', length: 45, nullable: true })
  lastIp!: string | null;
}
