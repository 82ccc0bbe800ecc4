import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../../common/public.decorator';
import { AppConfig } from '../../config/app-config';
import { AuthorizationServerMetadataDto, JwksResponseDto } from '../dto/well-known-response.dto';
import { DPOP_ALGORITHMS } from '../dpop/dpop-proof.verifier';
import { endpointUrl } from '../oauth/endpoint-url';
import { CLIENT_ASSERTION_ALGORITHMS } from '../oauth/service-client-authenticator';
import { SERVICE_SCOPES } from '../oauth/service-credentials';
import { JWKS_MAX_AGE_SECONDS } from './signing-key-set';
import { SigningKeyStore } from './signing-key-store.service';

@ApiTags('operations')
@Public()
@Controller('.well-known')
export class WellKnownController {
  constructor(
    private readonly keys: SigningKeyStore,
    private readonly config: AppConfig,
  ) {}

  @Get('jwks.json')
  @Header('Cache-Control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`)
  @ApiOperation({ summary: 'Public signing keys (RFC 7517) for verifying access tokens' })
  @ApiOkResponse({
    type: JwksResponseDto,
    description: 'A JWK Set: public parts only, one `alg` per key (cacheable for 5 minutes)',
  })
  jwks(): ReturnType<SigningKeyStore['jwks']> {
    return this.keys.jwks();
  }

  @Get('oauth-authorization-server')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: 'Authorization server metadata (RFC 8414)' })
  @ApiOkResponse({ type: AuthorizationServerMetadataDto })
  metadata(): AuthorizationServerMetadataDto {
    // Always absolute (RFC 8414 §2), under the issuer (or PUBLIC_URL for a name-only issuer).
    const url = (path: string): string => endpointUrl(this.config, path);
    const secretMethods = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'];
    const assertionAlgorithms = [...CLIENT_ASSERTION_ALGORITHMS];
    return {
      issuer: this.config.jwt.issuer,
      jwks_uri: url('/.well-known/jwks.json'),
      token_endpoint: url('/oauth/token'),
      revocation_endpoint: url('/oauth/revoke'),
      introspection_endpoint: url('/oauth/introspect'),
      grant_types_supported: ['refresh_token', 'client_credentials'],
      token_endpoint_auth_methods_supported: ['none', ...secretMethods],
      revocation_endpoint_auth_methods_supported: ['none', ...secretMethods],
      introspection_endpoint_auth_methods_supported: secretMethods,
      token_endpoint_auth_signing_alg_values_supported: assertionAlgorithms,
      revocation_endpoint_auth_signing_alg_values_supported: assertionAlgorithms,
      introspection_endpoint_auth_signing_alg_values_supported: assertionAlgorithms,
      scopes_supported: [...SERVICE_SCOPES],
      response_types_supported: [],
      dpop_signing_alg_values_supported: [...DPOP_ALGORITHMS],
    };
  }
}
