import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { MaxLengthAfterNfkc } from '../../common/validation';

export class DeviceHintDto {
  /** The app's stable device id (mobile apps); browsers are recognised by a device cookie. */
  @ApiPropertyOptional({
    description:
      "The app's stable device id (mobile apps); browsers are recognised by a device cookie",
    pattern: '^[\\w.:-]{8,100}$',
    example: 'ios-4f9a2c1e-77b0',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[\w.:-]{8,100}$/, { message: 'must be 8-100 letters, digits or . _ : -' })
  id?: string;

  @ApiPropertyOptional({
    description: 'A name for the device; defaults to one derived from the User-Agent',
    minLength: 1,
    maxLength: 100,
    example: "Alice's iPhone",
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name?: string;

  @ApiPropertyOptional({ maxLength: 50, example: 'ios' })
  @IsOptional()
  @IsString()
  @MaxLength(50)
  platform?: string;
}

export class LoginDto {
  @ApiProperty({ minLength: 1, maxLength: 254, example: 'alice@example.com' })
  @IsString()
  @MinLength(1)
  @MaxLength(254)
  @MaxLengthAfterNfkc(254)
  email!: string;

  @ApiProperty({
    description: 'Verified exactly as sent (no trimming or case folding)',
    minLength: 1,
    maxLength: 1024,
    example: 'correct horse battery staple',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  password!: string;

  /** Long idle timeout (SESSION_REMEMBER_ME_IDLE_TIMEOUT) instead of the short one. */
  @ApiPropertyOptional({
    description: 'Long idle timeout (SESSION_REMEMBER_ME_IDLE_TIMEOUT) instead of the short one',
    default: false,
    example: false,
  })
  @IsOptional()
  @IsBoolean()
  rememberMe?: boolean;

  @ApiPropertyOptional({
    type: () => DeviceHintDto,
    description: 'Identifies the device, so its sessions group under it',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => DeviceHintDto)
  device?: DeviceHintDto;
}
