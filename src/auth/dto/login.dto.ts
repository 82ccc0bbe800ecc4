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

export class DeviceHintDto {
  /** The app's stable device id (mobile apps); browsers are recognised by a device cookie. */
  @IsOptional()
  @IsString()
  @Matches(/^[\w.:-]{8,100}$/, { message: 'must be 8-100 letters, digits or . _ : -' })
  id?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name?: string;

  @IsOptional()
  @IsString()
  @MaxLength(50)
  platform?: string;
}

export class LoginDto {
  @IsString()
  @MinLength(1)
  @MaxLength(254)
  email!: string;

  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  password!: string;

  /** Long idle timeout (SESSION_REMEMBER_ME_IDLE_TIMEOUT) instead of the short one. */
  @IsOptional()
  @IsBoolean()
  rememberMe?: boolean;

  @IsOptional()
  @ValidateNested()
  @Type(() => DeviceHintDto)
  device?: DeviceHintDto;
}
