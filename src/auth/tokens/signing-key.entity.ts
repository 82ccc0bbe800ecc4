import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { JwtAlgorithm } from '../../config/app-config';
import type { PublicJwk } from './signing-keys';

/**
 * Generated access-token signing keys, shared by every instance. A key is in the JWKS from
 * `created_at`, signs from `sign_from` (the newest such key signs), and leaves the JWKS after
 * `retire_after` (null while it may still sign). Its state is derived from these times, so every
 * instance reaches the same answer from its own clock without coordination.
 */
@Entity({ name: 'signing_keys' })
export class SigningKeyEntity {
  /** RFC 7638 thumbprint of the public key. */
  @PrimaryColumn({ primaryKeyConstraintName: 'pk_signing_keys', type: 'varchar', length: 64 })
  kid!: string;

  @Column({ type: 'varchar', length: 16 })
  alg!: JwtAlgorithm;

  @Column({ name: 'public_jwk', type: 'jsonb' })
  publicJwk!: PublicJwk;

  /** PKCS#8 PEM sealed by SecretBox with associated data `signing-key:<kid>`. */
  @Column({ name: 'private_key', type: 'text' })
  privateKey!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'sign_from', type: 'timestamptz' })
  signFrom!: Date;

  @Column({ name: 'retire_after', type: 'timestamptz', nullable: true })
  retireAfter!: Date | null;
}
