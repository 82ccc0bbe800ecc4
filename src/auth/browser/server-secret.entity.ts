import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Secrets every instance must share (e.g. the CSRF key), created once by whichever starts first. */
@Entity({ name: 'server_secrets' })
export class ServerSecretEntity {
  @PrimaryColumn({ primaryKeyConstraintName: 'pk_server_secrets', type: 'varchar', length: 64 })
  name!: string;

  @Column({ type: 'text' })
  value!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
