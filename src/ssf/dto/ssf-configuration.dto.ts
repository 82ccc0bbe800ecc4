import { ApiProperty } from '@nestjs/swagger';
import { POLL_DELIVERY, PUSH_DELIVERY } from '../ssf-stream.entity';

/** SSF 1.0 §7.1 transmitter configuration metadata. */
export class SsfConfigurationDto {
  @ApiProperty({ example: '1_0' })
  spec_version!: string;

  @ApiProperty({ description: 'The `iss` of every SET', example: 'https://auth.example.com' })
  issuer!: string;

  @ApiProperty({ example: 'https://auth.example.com/.well-known/jwks.json' })
  jwks_uri!: string;

  @ApiProperty({ type: [String], example: [PUSH_DELIVERY, POLL_DELIVERY] })
  delivery_methods_supported!: string[];

  @ApiProperty({ example: 'https://auth.example.com/ssf/streams' })
  configuration_endpoint!: string;

  @ApiProperty({ example: 'https://auth.example.com/ssf/streams/status' })
  status_endpoint!: string;

  @ApiProperty({ example: 'https://auth.example.com/ssf/streams/verify' })
  verification_endpoint!: string;

  @ApiProperty({ example: 'https://auth.example.com/ssf/subjects/add' })
  add_subject_endpoint!: string;

  @ApiProperty({ example: 'https://auth.example.com/ssf/subjects/remove' })
  remove_subject_endpoint!: string;

  @ApiProperty({
    description: 'OAuth 2.0 (client credentials at /oauth/token, scope ssf:stream)',
    example: [{ spec_urn: 'urn:ietf:rfc:6749' }],
  })
  authorization_schemes!: Array<{ spec_urn: string }>;

  @ApiProperty({
    enum: ['ALL', 'NONE'],
    description: 'ALL: every user of this issuer is in every stream',
    example: 'ALL',
  })
  default_subjects!: 'ALL' | 'NONE';
}
