import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A private_key_jwt client assertion seen, kept until it has expired (single use, RFC 7523 §3). */
@Entity({ name: 'client_assertion_jtis' })
@Index('ix_client_assertion_jtis_expires_at', ['expiresAt'])
export class ClientAssertionJtiEntity {
  /** SHA-256 of the client id and the assertion's jti (hex). */
  @PrimaryColumn({
    name: 'jti_hash',
    type: 'varchar',
    length: 64,
    primaryKeyConstraintName: 'pk_client_assertion_jtis',
  })
  jtiHash!: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}
