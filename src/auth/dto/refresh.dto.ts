import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';

export class RefreshDto {
  /** Header mode: the refresh token. Cookie mode: omit it; the refresh cookie is used. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  refreshToken?: string;

  /** The app's device id, when it has one: a refresh from another device is refused. */
  @IsOptional()
  @IsString()
  @Matches(/^[\w.:-]{8,100}$/)
  deviceId?: string;
}
