import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { AppConfig } from './config/app-config';

export const ACCESS_COOKIE = '__Host-tessera_at';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Tessera')
    .setDescription(
      'Sessions and authentication: users, logins, rotating refresh tokens, revocable sessions, ' +
        'devices, audit trail and alerts. Errors are RFC 9457 problem+json with a stable `code`.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        description: 'A service credential: the shared REVOCATION_FEED_SECRET',
      },
      'revocationFeed',
    )
    .addCookieAuth(ACCESS_COOKIE, { type: 'apiKey', in: 'cookie', name: ACCESS_COOKIE }, 'cookie')
    .addTag('auth', 'Registration, login, tokens and passwords')
    .addTag('sessions', "The caller's own sessions")
    .addTag('devices', "The caller's own devices")
    .addTag('me', "The caller's activity and alerts")
    .addTag('admin', 'Administration (role admin)')
    .addTag('operations', 'Health, metrics and standards endpoints');
  return SwaggerModule.createDocument(app, builder.build());
}

export function setupOpenApi(app: INestApplication, config: AppConfig): void {
  if (config.docsAccess === 'off') return;
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs/openapi.json',
    yamlDocumentUrl: 'docs/openapi.yaml',
    // Tokens typed into Swagger UI must not outlive the tab (persisting keeps them in localStorage).
    swaggerOptions: { persistAuthorization: false },
  });
}
