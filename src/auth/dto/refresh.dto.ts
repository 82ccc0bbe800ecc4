import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';

export class RefreshDto {
  /** Header mode: the refresh token. Cookie mode: omit it; the refresh cookie is used. */
  @ApiPropertyOptional({
    description:
      'Header mode: the refresh token. Cookie mode: omit it; the refresh cookie is used ' +
      '(and X-CSRF-Token must be sent)',
    maxLength: 200,
    example: 'rt_Q2xWbm9yZ2Z3b2xrZ2Q3c2xhZGZqYXNkZmxrag',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  refreshToken?: string;

  /** The app's device id, when it has one: a refresh from another device is refused. */
  @ApiPropertyOptional({
    description: "The app's device id, when it has one: a refresh from another device is refused",
    pattern: '^[\\w.:-]{8,100}$',
    example: 'ios-4f9a2c1e-77b0',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[\w.:-]{8,100}$/)
  deviceId?: string;
}
