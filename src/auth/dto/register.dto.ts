import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

export class RegisterDto {
  /** The login email; unique regardless of case. */
  @ApiProperty({
    description: 'The login email; unique regardless of case',
    format: 'email',
    maxLength: 254,
    example: 'alice@example.com',
  })
  @IsEmail({}, { message: 'must be a valid email address' })
  @MaxLength(254)
  email!: string;

  /** 8–128 characters; checked against common and context-specific passwords. */
  @ApiProperty({
    description: '8–128 characters; checked against common and context-specific passwords',
    minLength: 1,
    maxLength: 1024,
    example: 'correct horse battery staple',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  password!: string;

  @ApiPropertyOptional({ minLength: 1, maxLength: 100, example: 'Alice' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  displayName?: string;
}
