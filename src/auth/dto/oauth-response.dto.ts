import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ProblemDetails } from '../../common/api-problem.decorator';

/** RFC 6749 §5.1 access token response of POST /oauth/token. */
export class OAuthTokenResponseDto {
  @ApiProperty({
    description: 'The access token (JWT, typ at+jwt)',
    example: 'eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6Ii4uLiJ9.eyJzdWIiOiIuLi4ifQ.c2ln',
  })
  access_token!: string;

  @ApiProperty({ enum: ['Bearer'], example: 'Bearer' })
  token_type!: 'Bearer';

  @ApiProperty({ description: 'Seconds until the access token expires', example: 900 })
  expires_in!: number;

  @ApiPropertyOptional({
    description:
      'refresh_token grant: the rotated refresh token; the presented one is now spent ' +
      '(client_credentials issues none)',
    example: 'rt_Q2xWbm9yZ2Z3b2xrZ2Q3c2xhZGZqYXNkZmxrag',
  })
  refresh_token?: string;

  @ApiPropertyOptional({
    description:
      'refresh_token grant: seconds until the refresh token can no longer be used (the ' +
      "earlier of the session's idle and absolute deadlines; draft-ietf-oauth-refresh-token-expiration)",
    example: 1800,
  })
  refresh_token_expires_in?: number;

  @ApiPropertyOptional({
    description: 'client_credentials: the granted scopes, space-separated',
    example: 'tokens:introspect',
  })
  scope?: string;
}

/** RFC 7662 §2.2 introspection response; an inactive token answers only `{ active: false }`. */
export class IntrospectionResponseDto {
  @ApiProperty({
    description: 'Whether the token is live (valid, and its session too)',
    example: true,
  })
  active!: boolean;

  @ApiPropertyOptional({ enum: ['access_token', 'refresh_token'], example: 'access_token' })
  token_type?: 'access_token' | 'refresh_token';

  @ApiPropertyOptional({ description: 'User id', example: '3f0c9a52-8a6e-4c4b-9f0e-2d2f5e1b7a10' })
  sub?: string;

  @ApiPropertyOptional({
    description: 'Session id',
    example: '5a4e2c1d-7b3f-4d6a-8e9c-1f2a3b4c5d6e',
  })
  sid?: string;

  @ApiPropertyOptional({
    description: 'Issuer (access tokens)',
    example: 'https://auth.example.com',
  })
  iss?: string;

  @ApiPropertyOptional({ description: 'Audience (access tokens)', example: 'tessera' })
  aud?: string;

  @ApiPropertyOptional({ description: 'Expiry, seconds since the epoch', example: 1767225600 })
  exp?: number;

  @ApiPropertyOptional({ description: 'Issued at, seconds since the epoch', example: 1767224700 })
  iat?: number;

  @ApiPropertyOptional({ description: 'Token id (access tokens)', example: '0b8e2f4c-…' })
  jti?: string;

  @ApiPropertyOptional({ type: [String], description: 'Roles (access tokens)', example: ['user'] })
  roles?: string[];

  @ApiPropertyOptional({
    description: 'When the user last authenticated, seconds since the epoch (access tokens)',
    example: 1767224400,
  })
  auth_time?: number;

  @ApiPropertyOptional({
    type: [String],
    description: 'Authentication methods, RFC 8176 (access tokens)',
    example: ['pwd', 'otp', 'mfa'],
  })
  amr?: string[];

  @ApiPropertyOptional({ description: 'Service client (client_credentials tokens)' })
  client_id?: string;

  @ApiPropertyOptional({
    description: 'Space-separated scopes (client_credentials tokens)',
    example: 'tokens:introspect',
  })
  scope?: string;
}

/**
 * Errors of POST /oauth/token: problem details; a refused grant (status 400) also carries the
 * RFC 6749 §5.2 members, so OAuth client libraries understand it. `code` keeps the precise
 * Tessera reason (refresh_token_reused, session_revoked, …).
 */
export class OAuthProblemDetailsDto extends ProblemDetails {
  @ApiPropertyOptional({
    description:
      'RFC 6749 §5.2 error code: invalid_grant on a refused grant, unsupported_grant_type ' +
      'for any grant_type other than refresh_token and client_credentials, invalid_scope for a ' +
      'scope the client does not hold, invalid_client (401) for wrong client credentials',
    enum: ['invalid_grant', 'unsupported_grant_type', 'invalid_scope', 'invalid_client'],
    example: 'invalid_grant',
  })
  error?: string;

  @ApiPropertyOptional({
    description: 'RFC 6749 §5.2 description (the same text as `detail`); present with `error`',
    example: 'The refresh token was already used',
  })
  error_description?: string;
}
