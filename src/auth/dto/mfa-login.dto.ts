import {
  ApiProperty,
  ApiPropertyOptional,
  IntersectionType,
  PartialType,
  PickType,
} from '@nestjs/swagger';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { DeviceHintDto } from './login.dto';
import { TokenResponseDto } from './token-response.dto';

const MFA_TOKEN_EXAMPLE = 'mJ0yq3pC8v1Xg4k9Zt2LrB7wQe5sN6aHdUoYfTiPcVx';
const CODE_METHODS = ['totp', 'recovery_code'] as const;

/** POST /auth/mfa/verify: the second step of a login that answered mfa_required. */
export class MfaVerifyDto {
  @ApiProperty({
    description: 'The mfaToken from the mfa_required problem (single use, at most 5 minutes)',
    example: MFA_TOKEN_EXAMPLE,
  })
  @IsString()
  @MaxLength(64)
  mfaToken!: string;

  @ApiProperty({ enum: CODE_METHODS, example: 'totp' })
  @IsIn(CODE_METHODS)
  method!: (typeof CODE_METHODS)[number];

  @ApiProperty({
    description: 'The 6-digit authenticator-app code, or one recovery code',
    example: '492039',
  })
  @IsString()
  @MinLength(6)
  @MaxLength(32)
  code!: string;
}

/** POST /auth/passkeys/options. */
export class PasskeyOptionsDto {
  @ApiPropertyOptional({
    description:
      'With the mfaToken of a login: the passkey as its second factor. Without it (and signed ' +
      'out): passwordless sign-in with a discoverable credential. Signed in: a step-up.',
    example: MFA_TOKEN_EXAMPLE,
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  mfaToken?: string;
}

/** POST /auth/passkeys/verify. */
export class PasskeyVerifyDto extends PasskeyOptionsDto {
  @ApiProperty({
    description:
      'The PublicKeyCredential from navigator.credentials.get(), JSON-encoded as ' +
      '@simplewebauthn/browser startAuthentication() returns it',
    type: 'object',
    additionalProperties: true,
    example: {
      id: 'q8b1…',
      rawId: 'q8b1…',
      type: 'public-key',
      response: { clientDataJSON: 'eyJ0…', authenticatorData: 'SZYN…', signature: 'MEUC…' },
      clientExtensionResults: {},
    },
  })
  @IsObject()
  response!: AuthenticationResponseJSON;

  @ApiPropertyOptional({ description: 'Passwordless sign-in: like login', example: false })
  @IsOptional()
  @IsBoolean()
  rememberMe?: boolean;

  @ApiPropertyOptional({ type: DeviceHintDto, description: 'Passwordless sign-in: like login' })
  @IsOptional()
  @ValidateNested()
  @Type(() => DeviceHintDto)
  device?: DeviceHintDto;
}

/** POST /auth/reauth: the password, or a second-factor code. */
export class ReauthDto {
  @ApiPropertyOptional({
    description: 'The account password (instead of method and code)',
    example: 'correct horse battery staple',
  })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  password?: string;

  @ApiPropertyOptional({ enum: CODE_METHODS, example: 'totp' })
  @IsOptional()
  @IsIn(CODE_METHODS)
  method?: (typeof CODE_METHODS)[number];

  @ApiPropertyOptional({ description: 'With method: the code', example: '492039' })
  @IsOptional()
  @IsString()
  @Matches(/^[\w-]{6,32}$/)
  code?: string;
}

/** A step-up's answer: a new access token for the same session. */
export class ReauthResponseDto {
  @ApiPropertyOptional({
    description:
      'Header mode only (the request came with a bearer token): the new access token, with a ' +
      'fresh auth_time. Cookie mode: it is set as the access cookie instead.',
    example: 'eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6Ii4uLiJ9.eyJzdWIiOiIuLi4ifQ.c2ln',
  })
  accessToken?: string;

  @ApiProperty({ enum: ['Bearer', 'DPoP'], example: 'Bearer' })
  tokenType!: 'Bearer' | 'DPoP';

  @ApiProperty({ description: 'Seconds until the access token expires', example: 900 })
  expiresIn!: number;
}

/** The mfa_required problem (401): RFC 9457 problem details with three extension members. */
export class MfaRequiredProblemDto {
  @ApiProperty({ example: 'urn:tessera:problem:mfa_required' })
  type!: string;

  @ApiProperty({ example: 'A second factor is required' })
  title!: string;

  @ApiProperty({ example: 401 })
  status!: number;

  @ApiProperty({ example: 'Complete the sign-in with a second factor' })
  detail!: string;

  @ApiProperty({ enum: ['mfa_required'], example: 'mfa_required' })
  code!: string;

  @ApiProperty({
    description: 'For POST /auth/mfa/verify or /auth/passkeys/verify; single use',
    example: MFA_TOKEN_EXAMPLE,
  })
  mfaToken!: string;

  @ApiProperty({
    type: [String],
    enum: ['totp', 'webauthn', 'recovery_code'],
    example: ['totp', 'recovery_code'],
  })
  methods!: string[];

  @ApiProperty({ description: 'Seconds the mfaToken stays valid', example: 300 })
  expiresIn!: number;

  @ApiPropertyOptional({ example: '5c1d2f0e-…' })
  requestId?: string;
}

/**
 * POST /auth/passkeys/verify: a sign-in answers like login (TokenResponseDto); a step-up (the
 * caller was signed in) answers with the new access token only, like POST /auth/reauth.
 */
export class PasskeyVerifyResponseDto extends IntersectionType(
  PartialType(TokenResponseDto),
  PickType(ReauthResponseDto, ['tokenType', 'expiresIn'] as const),
) {}

export class PasskeyAllowedCredentialDto {
  @ApiProperty({ example: 'q8b1Ue3yTg0k2m1vVd8oLw' })
  id!: string;

  @ApiProperty({ enum: ['public-key'], example: 'public-key' })
  type!: 'public-key';

  @ApiPropertyOptional({ type: [String], example: ['internal', 'hybrid'] })
  transports?: string[];
}

/** POST /auth/passkeys/options: PublicKeyCredentialRequestOptionsJSON for navigator.credentials.get(). */
export class PasskeyRequestOptionsDto {
  @ApiProperty({ description: 'Single use, short lived', example: 'q3JxT0dH1k9mZ2Vb8wYc4A' })
  challenge!: string;

  @ApiPropertyOptional({ description: 'Milliseconds', example: 120000 })
  timeout?: number;

  @ApiPropertyOptional({ example: 'auth.example.com' })
  rpId?: string;

  @ApiPropertyOptional({
    type: [PasskeyAllowedCredentialDto],
    description: "The user's passkeys (second factor, step-up); absent for passwordless sign-in",
  })
  allowCredentials?: PasskeyAllowedCredentialDto[];

  @ApiPropertyOptional({ enum: ['required'], example: 'required' })
  userVerification?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  extensions?: Record<string, unknown>;

  @ApiPropertyOptional({ type: [String] })
  hints?: string[];
}
