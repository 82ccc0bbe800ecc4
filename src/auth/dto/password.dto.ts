import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsString, MaxLength, MinLength } from 'class-validator';
import { MaxLengthAfterNfkc } from '../../common/validation';

export class ChangePasswordDto {
  @ApiProperty({ minLength: 1, maxLength: 1024, example: 'correct horse battery staple' })
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  currentPassword!: string;

  @ApiProperty({
    description: '8–128 characters; checked against common and context-specific passwords',
    minLength: 1,
    maxLength: 1024,
    example: 'a new, longer passphrase',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  newPassword!: string;
}

export class ForgotPasswordDto {
  @ApiProperty({ format: 'email', maxLength: 254, example: 'alice@example.com' })
  @IsEmail()
  @MaxLength(254)
  @MaxLengthAfterNfkc(254)
  email!: string;
}

export class ResetPasswordDto {
  /** The single-use token from the reset message. */
  @ApiProperty({
    description: 'The single-use token from the reset message',
    minLength: 1,
    maxLength: 200,
    example: 'pr_Zm9yZ290LXBhc3N3b3JkLXRva2Vu',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  token!: string;

  @ApiProperty({
    description: '8–128 characters; checked against common and context-specific passwords',
    minLength: 1,
    maxLength: 1024,
    example: 'a new, longer passphrase',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  newPassword!: string;
}
