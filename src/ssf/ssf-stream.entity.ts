import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** SSF 1.0 §8.1.1 stream status: enabled delivers, paused holds, disabled drops. */
export type SsfStreamStatus = 'enabled' | 'paused' | 'disabled';

/** RFC 8935 push and RFC 8936 poll, as SSF names them. */
export const PUSH_DELIVERY = 'urn:ietf:rfc:8935';
export const POLL_DELIVERY = 'urn:ietf:rfc:8936';
export type SsfDeliveryMethod = typeof PUSH_DELIVERY | typeof POLL_DELIVERY;

/** One event stream of a registered service client (a receiver). */
@Entity({ name: 'ssf_streams' })
@Index('ix_ssf_streams_client', ['clientId'])
export class SsfStreamEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_ssf_streams' })
  id!: string;

  /** The service client that owns the stream; only it may read or change it. */
  @Column({ name: 'client_id', type: 'varchar', length: 200 })
  clientId!: string;

  /** The `aud` of every SET on this stream. */
  @Column({ type: 'varchar', length: 200 })
  audience!: string;

  @Column({ type: 'varchar', length: 200, nullable: true })
  description!: string | null;

  @Column({ name: 'events_requested', type: 'text', array: true })
  eventsRequested!: string[];

  @Column({ name: 'delivery_method', type: 'varchar', length: 32 })
  deliveryMethod!: SsfDeliveryMethod;

  /** Push: the receiver's endpoint (checked against the SSRF rules at every push). */
  @Column({ name: 'endpoint_url', type: 'varchar', length: 2048, nullable: true })
  endpointUrl!: string | null;

  /** Push: the Authorization header value to send, sealed with the secret box (write-only). */
  @Column({ name: 'authorization_header', type: 'text', nullable: true })
  authorizationHeader!: string | null;

  @Column({ type: 'varchar', length: 16, default: 'enabled' })
  status!: SsfStreamStatus;

  @Column({ name: 'status_reason', type: 'varchar', length: 500, nullable: true })
  statusReason!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
