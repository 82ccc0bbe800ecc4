import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength, ValidateIf } from 'class-validator';
import { JWT_BEARER_ASSERTION } from '../oauth/service-client-authenticator';

/**
 * Client authentication in a form body: client_secret_post (RFC 6749 §2.3.1) or
 * private_key_jwt (RFC 7523 §2.2). Only service clients send these.
 */
export class ClientCredentialsFieldsDto {
  @ApiPropertyOptional({
    description:
      'A public client names itself (accepted and ignored); a service client using ' +
      'client_secret_post sends it with client_secret',
    maxLength: 200,
    example: 'mobile-app',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  client_id?: string;

  @ApiPropertyOptional({
    description: 'client_secret_post: the service client secret',
    maxLength: 200,
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  client_secret?: string;

  @ApiPropertyOptional({ enum: [JWT_BEARER_ASSERTION], description: 'private_key_jwt' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  client_assertion_type?: string;

  @ApiPropertyOptional({
    description: 'private_key_jwt: a JWT signed with a key of the client JWKS (single use)',
    maxLength: 8192,
  })
  @IsOptional()
  @IsString()
  @MaxLength(8192)
  client_assertion?: string;
}

/**
 * RFC 6749 §6 refresh request (form-encoded or JSON; public clients), or §4.4
 * client_credentials for service clients (with client authentication).
 */
export class OAuthTokenDto extends ClientCredentialsFieldsDto {
  @ApiProperty({ enum: ['refresh_token', 'client_credentials'], example: 'refresh_token' })
  @IsIn(['refresh_token', 'client_credentials'], {
    message: 'only refresh_token and client_credentials are supported',
  })
  grant_type!: string;

  @ApiPropertyOptional({
    description: 'refresh_token grant: the refresh token from login (or the previous refresh)',
    maxLength: 200,
    example: 'rt_Q2xWbm9yZ2Z3b2xrZ2Q3c2xhZGZqYXNkZmxrag',
  })
  @ValidateIf((dto: OAuthTokenDto) => dto.grant_type !== 'client_credentials')
  @IsString()
  @MaxLength(200)
  refresh_token?: string;

  @ApiPropertyOptional({
    description:
      'client_credentials: space-separated scopes to narrow the token to (default: all the ' +
      "client's); ignored for refresh_token",
    maxLength: 500,
    example: 'tokens:introspect',
  })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  scope?: string;
}

/** RFC 7009 revocation and RFC 7662 introspection requests (client authentication optional). */
export class OAuthTokenReferenceDto extends ClientCredentialsFieldsDto {
  @ApiProperty({
    description: 'An access token (JWT) or a refresh token',
    maxLength: 4096,
    example: 'rt_Q2xWbm9yZ2Z3b2xrZ2Q3c2xhZGZqYXNkZmxrag',
  })
  @IsString()
  @MaxLength(4096)
  token!: string;

  @ApiPropertyOptional({
    enum: ['access_token', 'refresh_token'],
    description: 'A hint only; the token is recognised either way',
  })
  @IsOptional()
  @IsIn(['access_token', 'refresh_token'])
  token_type_hint?: string;
}
