import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ServiceClientAuthMethod, ServiceScope } from './service-credentials';

/** A public JWK Set a private_key_jwt client signs its assertions with. */
export interface ClientJwks {
  keys: Array<Record<string, unknown>>;
}

/**
 * What a client_id looks like (`svc_` and 128 random bits, base64url). Anything else names no
 * client and never reaches the database (a NUL byte there is an error, not a miss).
 */
export const SERVICE_CLIENT_ID = /^svc_[A-Za-z0-9_-]{22}$/;

/** A registered confidential client (another service), never a user. */
@Entity({ name: 'service_clients' })
export class ServiceClientEntity {
  /** The client_id: `svc_` and 128 random bits. */
  @PrimaryColumn({ primaryKeyConstraintName: 'pk_service_clients', type: 'varchar', length: 64 })
  id!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'text', array: true })
  scopes!: ServiceScope[];

  @Column({ name: 'auth_method', type: 'varchar', length: 32 })
  authMethod!: ServiceClientAuthMethod;

  /** SHA-256 (hex) of the 256-bit secret; null for private_key_jwt. */
  @Column({ name: 'secret_hash', type: 'varchar', length: 64, nullable: true })
  secretHash!: string | null;

  @Column({ type: 'jsonb', nullable: true })
  jwks!: ClientJwks | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** Set when deleted: the client is refused from then on (rows stay for the audit trail). */
  @Column({ name: 'disabled_at', type: 'timestamptz', nullable: true })
  disabledAt!: Date | null;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;
}
