import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** One public signing key (RFC 7517); only the public members are ever published. */
export class JwkDto {
  @ApiProperty({ enum: ['RSA', 'EC', 'OKP'], example: 'RSA' })
  kty!: string;

  @ApiProperty({
    description: 'Key id (RFC 7638 thumbprint), matches the JWT `kid`',
    example: 'mZ3n…',
  })
  kid!: string;

  @ApiProperty({ enum: ['RS256', 'ES256', 'PS256', 'EdDSA'], example: 'RS256' })
  alg!: string;

  @ApiProperty({ enum: ['sig'], example: 'sig' })
  use!: string;

  @ApiPropertyOptional({ description: 'RSA modulus (base64url)', example: 'u1SU1LfVLPHCozMxH2Mo…' })
  n?: string;

  @ApiPropertyOptional({ description: 'RSA exponent (base64url)', example: 'AQAB' })
  e?: string;

  @ApiPropertyOptional({ description: 'EC or OKP curve', example: 'P-256' })
  crv?: string;

  @ApiPropertyOptional({ description: 'EC or OKP public x coordinate (base64url)' })
  x?: string;

  @ApiPropertyOptional({ description: 'EC public y coordinate (base64url)' })
  y?: string;
}

/** GET /.well-known/jwks.json. */
export class JwksResponseDto {
  @ApiProperty({ type: [JwkDto], description: 'Every key that may have signed a live token' })
  keys!: JwkDto[];
}

/** GET /.well-known/oauth-authorization-server (RFC 8414 §2). */
export class AuthorizationServerMetadataDto {
  @ApiProperty({ example: 'https://auth.example.com' })
  issuer!: string;

  @ApiProperty({ example: 'https://auth.example.com/.well-known/jwks.json' })
  jwks_uri!: string;

  @ApiProperty({ example: 'https://auth.example.com/oauth/token' })
  token_endpoint!: string;

  @ApiProperty({ example: 'https://auth.example.com/oauth/revoke' })
  revocation_endpoint!: string;

  @ApiProperty({ example: 'https://auth.example.com/oauth/introspect' })
  introspection_endpoint!: string;

  @ApiProperty({ type: [String], example: ['refresh_token', 'client_credentials'] })
  grant_types_supported!: string[];

  @ApiProperty({
    type: [String],
    example: ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    description: 'none: public clients refreshing; the others: service clients',
  })
  token_endpoint_auth_methods_supported!: string[];

  @ApiProperty({
    type: [String],
    example: ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    description: 'none: the holder of a token revokes it',
  })
  revocation_endpoint_auth_methods_supported!: string[];

  @ApiProperty({
    type: [String],
    example: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
  })
  introspection_endpoint_auth_methods_supported!: string[];

  @ApiProperty({ type: [String], example: ['RS256', 'PS256', 'ES256', 'EdDSA'] })
  revocation_endpoint_auth_signing_alg_values_supported!: string[];

  @ApiProperty({ type: [String], example: ['RS256', 'PS256', 'ES256', 'EdDSA'] })
  introspection_endpoint_auth_signing_alg_values_supported!: string[];

  @ApiProperty({
    type: [String],
    example: ['tokens:introspect', 'tokens:revoke', 'revocations:read', 'ssf:stream'],
    description: 'Scopes a service client may hold',
  })
  scopes_supported!: string[];

  @ApiProperty({
    type: [String],
    description: 'None: there is no authorization endpoint',
    example: [],
  })
  response_types_supported!: string[];

  @ApiProperty({
    type: [String],
    example: ['RS256', 'PS256', 'ES256', 'EdDSA'],
    description: 'Algorithms accepted for private_key_jwt client assertions (RFC 7523)',
  })
  token_endpoint_auth_signing_alg_values_supported!: string[];

  @ApiProperty({
    type: [String],
    example: ['ES256', 'EdDSA', 'RS256', 'PS256'],
    description: 'Algorithms accepted for DPoP proofs (RFC 9449 §5.1)',
  })
  dpop_signing_alg_values_supported!: string[];
}
