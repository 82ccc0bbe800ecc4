import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import type { MfaStatus } from '../mfa.service';
import type { TotpEnrollment } from '../totp.service';

export class MfaPasskeyDto {
  @ApiProperty({ example: 'q8b1Ue3yTg0k2m1vVd8oLw' })
  id!: string;

  @ApiProperty({ example: 'Laptop' })
  name!: string;

  @ApiProperty({ format: 'date-time', example: '2026-01-01T10:00:00.000Z' })
  createdAt!: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: '2026-01-02T08:30:00.000Z',
  })
  lastUsedAt!: string | null;
}

/** GET /me/mfa. */
export class MfaStatusDto implements MfaStatus {
  @ApiProperty({ description: 'An authenticator app (TOTP) is enabled', example: true })
  totp!: boolean;

  @ApiProperty({ type: [MfaPasskeyDto] })
  passkeys!: MfaPasskeyDto[];

  @ApiProperty({ description: 'Unused recovery codes', example: 10 })
  recoveryCodesLeft!: number;
}

/** POST /me/mfa/totp: shown once, while the factor is pending. */
export class TotpEnrollmentDto implements TotpEnrollment {
  @ApiProperty({
    description: 'Base32 seed for typing into an authenticator app (shown once)',
    example: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
  })
  secret!: string;

  @ApiProperty({
    description: 'otpauth:// URI for a QR code',
    example:
      'otpauth://totp/Tessera:alice%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Tessera&algorithm=SHA1&digits=6&period=30',
  })
  otpauthUri!: string;
}

/** POST /me/mfa/totp/confirm. */
export class ConfirmTotpDto {
  @ApiProperty({ description: 'The current 6-digit code from the app', example: '492039' })
  @IsString()
  @Matches(/^\d{6}$/, { message: 'must be 6 digits' })
  code!: string;
}

/** Ten single-use recovery codes, shown once (only their hashes are stored). */
export class RecoveryCodesDto {
  @ApiProperty({
    type: [String],
    minItems: 10,
    maxItems: 10,
    example: ['k7dq-3vfm-xp2a', '9hwe-tb4c-m2rz'],
  })
  recoveryCodes!: string[];
}
