import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { endpointUrl } from '../auth/oauth/endpoint-url';
import { Public } from '../common/public.decorator';
import { AppConfig } from '../config/app-config';
import { SsfConfigurationDto } from './dto/ssf-configuration.dto';
import { POLL_DELIVERY, PUSH_DELIVERY } from './ssf-stream.entity';
import { SSF_PATHS } from './ssf-urls';

/** SSF 1.0 §7.1 transmitter configuration metadata. */
@ApiTags('operations')
@Public()
@Controller('.well-known')
export class SsfConfigurationController {
  constructor(private readonly config: AppConfig) {}

  @Get('ssf-configuration')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: 'Shared Signals transmitter metadata (SSF 1.0 §7.1)' })
  @ApiOkResponse({ type: SsfConfigurationDto })
  ssfConfiguration(): SsfConfigurationDto {
    // Under the issuer when it is an http(s) URL, else under PUBLIC_URL (absolute either way).
    const url = (path: string): string => endpointUrl(this.config, path);
    return {
      spec_version: '1_0',
      issuer: this.config.jwt.issuer,
      jwks_uri: url('/.well-known/jwks.json'),
      delivery_methods_supported: [PUSH_DELIVERY, POLL_DELIVERY],
      configuration_endpoint: url(SSF_PATHS.configuration),
      status_endpoint: url(SSF_PATHS.status),
      verification_endpoint: url(SSF_PATHS.verification),
      add_subject_endpoint: url(SSF_PATHS.addSubject),
      remove_subject_endpoint: url(SSF_PATHS.removeSubject),
      authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6749' }],
      default_subjects: 'ALL',
    };
  }
}
