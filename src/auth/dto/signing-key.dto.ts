import { ApiProperty } from '@nestjs/swagger';
import type { RotationResult, SigningKeyView } from '../tokens/key-rotation.service';

/** A signing key as GET /admin/keys shows it: never its private part. */
export class SigningKeyDto implements SigningKeyView {
  @ApiProperty({ description: 'Key id (RFC 7638 thumbprint), the JWT `kid`' })
  kid!: string;

  @ApiProperty({ enum: ['RS256', 'ES256', 'PS256', 'EdDSA'] })
  alg!: SigningKeyView['alg'];

  @ApiProperty({
    enum: ['pending', 'active', 'verifying', 'retired'],
    description:
      'pending: in the JWKS, not signing yet · active: signs new tokens · verifying: replaced, ' +
      'its tokens still verify · retired: out of the JWKS',
  })
  state!: SigningKeyView['state'];

  @ApiProperty({ format: 'date-time', description: 'Created and published in the JWKS' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', description: 'Signs from this time (when newest)' })
  signFrom!: string;

  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'Leaves the JWKS after this time; null while it may still sign',
  })
  retireAfter!: string | null;
}

export class SigningKeyListDto {
  @ApiProperty({ type: [SigningKeyDto], description: 'Newest first' })
  items!: SigningKeyDto[];
}

export class RotationResultDto implements RotationResult {
  @ApiProperty({ type: SigningKeyDto, description: 'The new key' })
  key!: SigningKeyDto;

  @ApiProperty({
    type: [SigningKeyDto],
    description: 'The keys it replaces, with their retirement',
  })
  retired!: SigningKeyDto[];
}
