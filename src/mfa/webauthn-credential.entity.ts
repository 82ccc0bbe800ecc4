import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { DeviceEntity } from '../devices/device.entity';
import { UserEntity } from '../users/user.entity';

/** bigint arrives from pg as a string; sign counters are uint32, exact in a JS number. */
const bigintAsNumber = {
  to: (value: number): number => value,
  from: (value: string | number): number => Number(value),
};

/** A registered passkey (WebAuthn public-key credential). */
@Entity({ name: 'webauthn_credentials' })
@Index('ix_webauthn_credentials_user', ['userId', 'createdAt'])
@Index('ix_webauthn_credentials_device', ['deviceId'])
export class WebAuthnCredentialEntity {
  /** The credential id, base64url, as the authenticator made it (public, up to 1023 bytes). */
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'pk_webauthn_credentials' })
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_webauthn_credentials_user' })
  user?: UserEntity;

  /** COSE_Key bytes of the credential public key. */
  @Column({ name: 'public_key', type: 'bytea' })
  publicKey!: Buffer;

  @Column({ name: 'sign_count', type: 'bigint', default: 0, transformer: bigintAsNumber })
  signCount!: number;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  transports!: string[];

  @Column({ name: 'backup_eligible', type: 'boolean' })
  backupEligible!: boolean;

  @Column({ name: 'backup_state', type: 'boolean' })
  backupState!: boolean;

  /** 'singleDevice' (device-bound) or 'multiDevice' (synced), from the BE flag. */
  @Column({ name: 'device_type', type: 'varchar', length: 16 })
  deviceType!: 'singleDevice' | 'multiDevice';

  @Column({ type: 'varchar', length: 36 })
  aaguid!: string;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  /** The Tessera device the passkey was registered from, when known (GET /devices shows it). */
  @Column({ name: 'device_id', type: 'uuid', nullable: true })
  deviceId!: string | null;

  @ManyToOne(() => DeviceEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'device_id', foreignKeyConstraintName: 'fk_webauthn_credentials_device' })
  device?: DeviceEntity;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;
}
