import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { SsfStreamEntity } from './ssf-stream.entity';

/**
 * A subject a receiver removed from its stream (SSF 1.0 §8.1.3.3). Streams hold every user of
 * the issuer by default (`default_subjects` ALL); a removed user's events make no SETs on that
 * stream until the subject is added again.
 */
@Entity({ name: 'ssf_subject_exclusions' })
export class SsfSubjectExclusionEntity {
  @PrimaryColumn({
    name: 'stream_id',
    type: 'uuid',
    primaryKeyConstraintName: 'pk_ssf_subject_exclusions',
  })
  streamId!: string;

  @ManyToOne(() => SsfStreamEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'stream_id', foreignKeyConstraintName: 'fk_ssf_subject_exclusions_stream' })
  stream?: SsfStreamEntity;

  /** The `sub` of an iss_sub subject: the user id. */
  @PrimaryColumn({
    name: 'user_id',
    type: 'varchar',
    length: 255,
    primaryKeyConstraintName: 'pk_ssf_subject_exclusions',
  })
  userId!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
