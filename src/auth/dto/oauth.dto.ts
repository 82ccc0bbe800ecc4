import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';

/** RFC 6749 §6 refresh request (form-encoded or JSON). Client fields are accepted and unused: public clients. */
export class OAuthTokenDto {
  @IsIn(['refresh_token'], { message: 'only refresh_token is supported' })
  grant_type!: string;

  @IsString()
  @MaxLength(200)
  refresh_token!: string;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  client_id?: string;

  @IsOptional()
  @IsString()
  @MaxLength(500)
  scope?: string;
}

/** RFC 7009 revocation and RFC 7662 introspection requests. */
export class OAuthTokenReferenceDto {
  @IsString()
  @MaxLength(4096)
  token!: string;

  @IsOptional()
  @IsIn(['access_token', 'refresh_token'])
  token_type_hint?: string;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  client_id?: string;
}
