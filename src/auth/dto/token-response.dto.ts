import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { SessionViewDto } from '../../sessions/dto/session-view.dto';
import { UserViewDto } from './user-view.dto';

/**
 * Login and refresh. Header mode: tokens in the body (accessToken, refreshToken). Cookie mode
 * (X-Auth-Mode: cookie on login): tokens only as cookies, and csrfToken in the body instead.
 */
export class TokenResponseDto {
  @ApiPropertyOptional({
    description:
      'Header mode only: the access token (JWT, typ at+jwt), sent as `Authorization: Bearer …`',
    example: 'eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6Ii4uLiJ9.eyJzdWIiOiIuLi4ifQ.c2ln',
  })
  accessToken?: string;

  @ApiPropertyOptional({
    description:
      'Header mode only: the opaque refresh token for POST /auth/refresh; rotates on every use',
    example: 'rt_Q2xWbm9yZ2Z3b2xrZ2Q3c2xhZGZqYXNkZmxrag',
  })
  refreshToken?: string;

  /** Cookie mode only: send it back as X-CSRF-Token on unsafe requests. */
  @ApiPropertyOptional({
    description:
      'Cookie mode only (instead of the tokens): send it as `X-CSRF-Token` on every ' +
      'POST/PUT/PATCH/DELETE authenticated by cookie',
    example: 'b3JpZ2luYWwtY3NyZi10b2tlbg',
  })
  csrfToken?: string;

  @ApiProperty({
    enum: ['Bearer', 'DPoP'],
    example: 'Bearer',
    description: 'DPoP when the login or refresh sent a DPoP proof (RFC 9449)',
  })
  tokenType!: 'Bearer' | 'DPoP';

  /** Seconds until the access token expires. */
  @ApiProperty({ description: 'Seconds until the access token expires', example: 900 })
  expiresIn!: number;

  /** Seconds the refresh token stays usable without activity (it also dies with the session). */
  @ApiProperty({
    description:
      'Seconds the refresh token stays usable without activity (it also dies with the session)',
    example: 1800,
  })
  refreshExpiresIn!: number;

  @ApiProperty({ type: SessionViewDto, description: 'The session these tokens belong to' })
  session!: SessionViewDto;

  @ApiProperty({ type: UserViewDto })
  user!: UserViewDto;
}

/** GET /auth/me. */
export class MeResponseDto {
  @ApiProperty({ type: UserViewDto })
  user!: UserViewDto;

  @ApiProperty({ type: SessionViewDto, description: 'The session making this request' })
  session!: SessionViewDto;

  @ApiPropertyOptional({
    description:
      'Only when authenticated by cookie: the same csrfToken login returned, so a reloaded ' +
      'page can send `X-CSRF-Token` again',
    example: 'b3JpZ2luYWwtY3NyZi10b2tlbg',
  })
  csrfToken?: string;
}

/** GET /auth/csrf. */
export class CsrfResponseDto {
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      "Cookie mode: the session's CSRF token (the one login returned; stable for the " +
      'session). Bearer (header mode): null, since bearer requests need no CSRF token.',
    example: 'b3JpZ2luYWwtY3NyZi10b2tlbg',
  })
  csrfToken!: string | null;
}
