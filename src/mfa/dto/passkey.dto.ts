import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type {
  AttestationConveyancePreference,
  AuthenticationExtensionsClientInputs,
  AuthenticatorSelectionCriteria,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialDescriptorJSON,
  PublicKeyCredentialHint,
  PublicKeyCredentialParameters,
  PublicKeyCredentialRpEntity,
  PublicKeyCredentialUserEntityJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { IsNotEmpty, IsObject, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageDto } from '../../common/page-dto.factory';
import type { PasskeySummary } from '../my-passkeys.service';

const NAME_MAX = 100;

const REGISTRATION_EXAMPLE = {
  id: 'q1JZ3cXH2m1bY2k0V2t3cW9fQ2xhYkR4bFZ1eGhGbFQ',
  rawId: 'q1JZ3cXH2m1bY2k0V2t3cW9fQ2xhYkR4bFZ1eGhGbFQ',
  type: 'public-key',
  authenticatorAttachment: 'platform',
  clientExtensionResults: { credProps: { rk: true } },
  response: {
    clientDataJSON: 'eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIiwiY2hhbGxlbmdlIjoi…',
    attestationObject: 'o2NmbXRkbm9uZWdhdHRTdG10oGhhdXRoRGF0YVjF…',
    transports: ['internal', 'hybrid'],
  },
};

/** `POST /me/passkeys`: what `navigator.credentials.create()` returned, serialised to JSON. */
export class RegisterPasskeyDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'The RegistrationResponseJSON of the WebAuthn ceremony (e.g. `credential.toJSON()`, or ' +
      "@simplewebauthn/browser's `startRegistration`), answering a challenge from " +
      '`POST /me/passkeys/options`',
    example: REGISTRATION_EXAMPLE,
  })
  @IsObject()
  response!: RegistrationResponseJSON;

  @ApiPropertyOptional({
    description: 'A name the user recognises; default "Passkey <n>"',
    maxLength: NAME_MAX,
    example: 'MacBook Touch ID',
  })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(NAME_MAX)
  name?: string;
}

/** `PATCH /me/passkeys/{id}`. */
export class RenamePasskeyDto {
  @ApiProperty({ minLength: 1, maxLength: NAME_MAX, example: 'Work laptop' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(NAME_MAX)
  name!: string;
}

/** A passkey as the user's security settings show it: no key material, no counters. */
export class PasskeyDto implements PasskeySummary {
  @ApiProperty({
    description: 'The WebAuthn credential id (base64url); the `{id}` of the passkey routes',
    example: 'q1JZ3cXH2m1bY2k0V2t3cW9fQ2xhYkR4bFZ1eGhGbFQ',
  })
  id!: string;

  @ApiProperty({ example: 'MacBook Touch ID' })
  name!: string;

  @ApiProperty({ format: 'date-time', example: '2026-11-20T09:30:00.000Z' })
  createdAt!: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Last sign-in or step-up with it; null until first used',
    example: null,
  })
  lastUsedAt!: string | null;
}

/** `GET /me/passkeys`. */
export class PasskeyListDto extends PageDto(PasskeyDto, {
  description: 'Always null: every passkey fits on one page',
}) {}

class RelyingPartyDto {
  @ApiProperty({ example: 'localhost', description: 'WEBAUTHN_RP_ID' })
  id!: string;

  @ApiProperty({ example: 'Tessera', description: 'MFA_ISSUER' })
  name!: string;
}

class WebAuthnUserDto {
  @ApiProperty({
    description: 'The user handle (base64url); opaque',
    example: 'OGQxZjZhMGUtNWI3Yy00',
  })
  id!: string;

  @ApiProperty({ example: 'alice@example.com' })
  name!: string;

  @ApiProperty({ example: 'Alice' })
  displayName!: string;
}

class CredentialParameterDto {
  @ApiProperty({ enum: ['public-key'], example: 'public-key' })
  type!: string;

  @ApiProperty({ description: 'COSE algorithm (-7 ES256, -8 EdDSA, -257 RS256)', example: -7 })
  alg!: number;
}

class CredentialDescriptorDto {
  @ApiProperty({ description: 'A credential id the user already registered', example: 'q1JZ3cXH' })
  id!: string;

  @ApiProperty({ enum: ['public-key'], example: 'public-key' })
  type!: string;

  @ApiPropertyOptional({ type: [String], example: ['internal', 'hybrid'] })
  transports?: string[];
}

class AuthenticatorSelectionDto {
  @ApiProperty({
    enum: ['required'],
    description: 'Discoverable credential (passwordless sign-in)',
  })
  residentKey!: string;

  @ApiProperty({ example: true })
  requireResidentKey!: boolean;

  @ApiProperty({ enum: ['required'], example: 'required' })
  userVerification!: string;

  @ApiPropertyOptional({ enum: ['platform', 'cross-platform'] })
  authenticatorAttachment?: string;
}

class RegistrationExtensionsDto {
  @ApiPropertyOptional({ description: 'Ask the browser whether the key is discoverable' })
  credProps?: boolean;
}

/**
 * `POST /me/passkeys/options`: PublicKeyCredentialCreationOptionsJSON for
 * `navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(…) })`.
 */
export class PasskeyCreationOptionsDto implements PublicKeyCredentialCreationOptionsJSON {
  @ApiProperty({
    description: 'Single use, valid for a little over `timeout`',
    example: 'h_CUCJ_3ntVS55saJEJ8SRev7L_qPRZ1nqfxgtEIAI8',
  })
  challenge!: string;

  @ApiProperty({ type: RelyingPartyDto })
  rp!: PublicKeyCredentialRpEntity;

  @ApiProperty({ type: WebAuthnUserDto })
  user!: PublicKeyCredentialUserEntityJSON;

  @ApiProperty({ type: [CredentialParameterDto] })
  pubKeyCredParams!: PublicKeyCredentialParameters[];

  @ApiPropertyOptional({ description: 'Milliseconds the browser may take', example: 120000 })
  timeout?: number;

  @ApiPropertyOptional({
    type: [CredentialDescriptorDto],
    description: "The user's existing passkeys, so an authenticator is not registered twice",
  })
  excludeCredentials?: PublicKeyCredentialDescriptorJSON[];

  @ApiPropertyOptional({ type: AuthenticatorSelectionDto })
  authenticatorSelection?: AuthenticatorSelectionCriteria;

  @ApiPropertyOptional({ enum: ['none'], example: 'none' })
  attestation?: AttestationConveyancePreference;

  @ApiPropertyOptional({ type: [String], example: [] })
  hints?: PublicKeyCredentialHint[];

  @ApiPropertyOptional({ type: RegistrationExtensionsDto })
  extensions?: AuthenticationExtensionsClientInputs;
}
