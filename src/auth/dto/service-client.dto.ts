import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  MaxLength,
  MinLength,
} from 'class-validator';
import {
  SERVICE_CLIENT_AUTH_METHODS,
  SERVICE_SCOPES,
  type ServiceClientAuthMethod,
  type ServiceScope,
} from '../oauth/service-credentials';
import type { CreatedServiceClient, ServiceClientView } from '../oauth/service-clients.service';

export class CreateServiceClientDto {
  @ApiProperty({
    description: 'What the client is, for admins',
    maxLength: 200,
    example: 'api-gateway',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;

  @ApiProperty({ enum: SERVICE_SCOPES, isArray: true, example: ['tokens:introspect'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(SERVICE_SCOPES.length)
  @ArrayUnique()
  @IsIn(SERVICE_SCOPES, { each: true })
  scopes!: ServiceScope[];

  @ApiPropertyOptional({
    enum: SERVICE_CLIENT_AUTH_METHODS,
    default: 'client_secret_basic',
    description:
      'How the client authenticates (RFC 7591). Secret methods get a generated secret, shown ' +
      'once; a secret client may use Basic or the form body. private_key_jwt needs `jwks`.',
  })
  @IsOptional()
  @IsIn(SERVICE_CLIENT_AUTH_METHODS)
  tokenEndpointAuthMethod?: ServiceClientAuthMethod;

  @ApiPropertyOptional({
    description: 'private_key_jwt only: the public JWK Set the client signs assertions with',
    example: { keys: [{ kty: 'EC', crv: 'P-256', x: '…', y: '…', kid: 'k1', alg: 'ES256' }] },
  })
  @IsOptional()
  @IsObject()
  jwks?: { keys: Array<Record<string, unknown>> };
}

export class ServiceClientDto implements ServiceClientView {
  @ApiProperty({ example: 'svc_Vq3mJ1pN0yXbq8Jk2cQh5A' })
  clientId!: string;

  @ApiProperty({ example: 'api-gateway' })
  name!: string;

  @ApiProperty({ enum: SERVICE_SCOPES, isArray: true })
  scopes!: ServiceScope[];

  @ApiProperty({ enum: SERVICE_CLIENT_AUTH_METHODS })
  tokenEndpointAuthMethod!: ServiceClientAuthMethod;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'Last authenticated (to the minute); null if never',
  })
  lastUsedAt!: string | null;
}

export class CreatedServiceClientDto extends ServiceClientDto implements CreatedServiceClient {
  @ApiPropertyOptional({
    description: 'Secret methods only: the client secret, shown this once (stored hashed)',
    example: 'Q2xWbm9yZ2Z3b2xrZ2Q3c2xhZGZqYXNkZmxrag',
  })
  clientSecret?: string;
}

export class ServiceClientListDto {
  @ApiProperty({ type: [ServiceClientDto], description: 'Enabled clients, newest first' })
  items!: ServiceClientDto[];
}
