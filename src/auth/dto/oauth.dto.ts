import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';

/** RFC 6749 §6 refresh request (form-encoded or JSON). Client fields are accepted and unused: public clients. */
export class OAuthTokenDto {
  @ApiProperty({ enum: ['refresh_token'], example: 'refresh_token' })
  @IsIn(['refresh_token'], { message: 'only refresh_token is supported' })
  grant_type!: string;

  @ApiProperty({
    description: 'The refresh token from login (or the previous refresh)',
    maxLength: 200,
    example: 'rt_Q2xWbm9yZ2Z3b2xrZ2Q3c2xhZGZqYXNkZmxrag',
  })
  @IsString()
  @MaxLength(200)
  refresh_token!: string;

  @ApiPropertyOptional({
    description: 'Accepted and ignored (public clients)',
    maxLength: 200,
    example: 'mobile-app',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  client_id?: string;

  @ApiPropertyOptional({ description: 'Accepted and ignored', maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  scope?: string;
}

/** RFC 7009 revocation and RFC 7662 introspection requests. */
export class OAuthTokenReferenceDto {
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

  @ApiPropertyOptional({
    description: 'Accepted and ignored (public clients)',
    maxLength: 200,
    example: 'mobile-app',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  client_id?: string;
}
