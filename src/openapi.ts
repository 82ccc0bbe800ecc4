import type { INestApplication } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { AppConfig } from './config/app-config';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Tessera')
    .setDescription(
      'Sessions and authentication: users, logins, rotating refresh tokens, revocable sessions, ' +
        'devices, audit trail and alerts. Errors are RFC 9457 problem+json with a stable `code`.\n\n' +
        'Two transports: header mode (`Authorization: Bearer`, the scheme in Authorize) and cookie ' +
        'mode for browsers (send `X-Auth-Mode: cookie` on login; every authenticated route then ' +
        'accepts the `__Host-` cookies, and unsafe methods need `X-CSRF-Token`). Cookie mode is ' +
        'not offered in Authorize: a page cannot set HttpOnly cookies for another request.',
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
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'A service client access token (grant_type=client_credentials)',
      },
      'serviceToken',
    )
    .addBasicAuth(
      {
        type: 'http',
        scheme: 'basic',
        description:
          'Service client authentication (client_secret_basic); client_secret_post and ' +
          'private_key_jwt go in the form body instead',
      },
      'serviceClient',
    )
    .addTag('auth', 'Registration, login, tokens and passwords')
    .addTag('sessions', "The caller's own sessions")
    .addTag('devices', "The caller's own devices")
    .addTag('me', "The caller's activity and alerts")
    .addTag('admin', 'Administration (role admin)')
    .addTag('operations', 'Health, metrics and standards endpoints');
  return SwaggerModule.createDocument(app, builder.build(), {
    operationIdFactory: operationIdFactory(app),
  });
}

/**
 * Stable, readable operation ids for generated clients: the controller's route prefix and the
 * handler's name in snake case (`auth_login`, `admin_users_reset_mfa`), instead of Nest's default
 * `AuthController_login`. test/openapi.e2e-spec.ts pins the whole list, so a rename is deliberate.
 */
function operationIdFactory(app: INestApplication): (controller: string, method: string) => string {
  const prefixes = controllerPrefixes(app);
  return (controller, method) =>
    `${prefixes.get(controller) ?? snakeCase(controller)}_${snakeCase(method)}`;
}

function controllerPrefixes(app: INestApplication): Map<string, string> {
  const prefixes = new Map<string, string>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const { metatype } of module.controllers.values()) {
      if (typeof metatype !== 'function') continue;
      const path: unknown = Reflect.getMetadata(PATH_METADATA, metatype);
      const route = typeof path === 'string' ? path : '';
      prefixes.set(
        metatype.name,
        route
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, '_')
          .replace(/^_|_$/g, ''),
      );
    }
  }
  return prefixes;
}

function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
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
