import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A DPoP proof seen at a token endpoint, kept until its `iat` window has passed (replay check). */
@Entity({ name: 'dpop_proof_jtis' })
@Index('ix_dpop_proof_jtis_expires_at', ['expiresAt'])
export class DpopProofJtiEntity {
  /** SHA-256 of the key thumbprint and the proof's jti (hex). */
  @PrimaryColumn({
    name: 'jti_hash',
    type: 'varchar',
    length: 64,
    primaryKeyConstraintName: 'pk_dpop_proof_jtis',
  })
  jtiHash!: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}
