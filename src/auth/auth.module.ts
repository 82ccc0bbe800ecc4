import { type DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { ThrottlerModule } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { Clock } from '../common/clock';
import type { PasswordPolicy } from '../users/password-policy';
import { AccessTokenGuard } from './guards/access-token.guard';
import { AccessTokenService } from './tokens/access-token.service';
import { LoginProtectionPruner } from './throttling/login-protection-pruner.service';
import { PasswordResetTokenPruner } from './passwords/password-reset-token-pruner.service';
import { AuthThrottlerGuard, authThrottlers } from './throttling/auth-throttler.guard';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { CsrfService } from './browser/csrf.service';
import { LocalStrategy } from './guards/local.strategy';
import { LocalAuthGuard } from './guards/local-auth.guard';
import { LoginProtectionEntity } from './throttling/login-protection.entity';
import { LoginProtectionService } from './throttling/login-protection.service';
import { LoginProtectionRepository } from './throttling/login-protection.repository';
import { PasswordResetTokenRepository } from './passwords/password-reset-token.repository';
import { ServerSecretRepository } from './browser/server-secret.repository';
import { DpopProofJtiRepository } from './dpop/dpop-proof-jti.repository';
import { DpopService } from './dpop/dpop.service';
import { PasswordResetNotifier } from './passwords/password-reset-notifier';
import { defaultPasswordResetNotifier } from './passwords/email-password-reset-notifier';
import { PasswordResetTokenEntity } from './passwords/password-reset-token.entity';
import { RedisThrottlerStorage } from './throttling/redis-throttler.storage';
import { RolesGuard } from './guards/roles.guard';
import { FreshAuthGuard } from './guards/fresh-auth.guard';
import { ServerSecretEntity } from './browser/server-secret.entity';
import { SigningKeyStore } from './tokens/signing-key-store.service';
import { OAuthController } from './oauth/oauth.controller';
import { OAuthService } from './oauth/oauth.service';
import { RevocationFeedController } from './oauth/revocation-feed.controller';
import { RevocationFeedGuard } from './oauth/revocation-feed.guard';
import { RevocationFeed } from './oauth/revocation-feed.service';
import { ServiceCredentials } from './oauth/service-credentials';
import { ClientAssertionJtiEntity } from './oauth/client-assertion-jti.entity';
import { ServiceClientAuthenticator } from './oauth/service-client-authenticator';
import { ServiceClientEntity } from './oauth/service-client.entity';
import { ServiceClientGuard } from './oauth/service-client.guard';
import { ServiceClientRepository } from './oauth/service-client.repository';
import { ServiceClientsController } from './oauth/service-clients.controller';
import { ServiceClientsService } from './oauth/service-clients.service';
import { WellKnownController } from './tokens/well-known.controller';
import { ForwardAuthController } from './gateway/forward-auth.controller';
import { ForwardAuthProblemFilter } from './gateway/forward-auth-problem.filter';
import { CurrentUserService } from './current-user.service';
import { ForwardAuthService } from './gateway/forward-auth.service';
import { KeyRotationService } from './tokens/key-rotation.service';
import { SigningKeyEntity } from './tokens/signing-key.entity';
import { SigningKeyRefresher } from './tokens/signing-key-refresher.service';
import { SigningKeyPruner } from './tokens/signing-key-pruner.service';
import { SigningKeyRepository } from './tokens/signing-key.repository';
import { SigningKeysController } from './tokens/signing-keys.controller';
import { JwtSigner } from './tokens/jwt-signer';

export interface AuthModuleOptions {
  /**
   * Delivers password reset tokens (email, SMS …). Default: email when SMTP_URL is set,
   * otherwise a redacted log line (and a start-up warning).
   */
  passwordResetNotifier?: PasswordResetNotifier;
  /** Decides which new passwords are acceptable. Default: NistPasswordPolicy. */
  passwordPolicy?: PasswordPolicy;
}

/** The application's one instance of each module auth builds on. */
export interface AuthModuleDeps {
  users: DynamicModule;
  devices: DynamicModule;
  sessions: DynamicModule;
  /** Second factors: the mfa_required step of login, passkeys and step-up. */
  mfa: DynamicModule;
}

@Module({})
export class AuthModule {
  static forRoot(options: AuthModuleOptions, deps: AuthModuleDeps): DynamicModule {
    return {
      module: AuthModule,
      imports: [
        deps.users,
        deps.devices,
        deps.sessions,
        deps.mfa,
        PassportModule,
        TypeOrmModule.forFeature([
          LoginProtectionEntity,
          PasswordResetTokenEntity,
          ServerSecretEntity,
          SigningKeyEntity,
          ServiceClientEntity,
          ClientAssertionJtiEntity,
        ]),
        ThrottlerModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({
            throttlers: authThrottlers(config),
            setHeaders: false,
            // Shared budgets across instances when Redis is configured; per process otherwise.
            ...(config.redisUrl ? { storage: new RedisThrottlerStorage(config.redisUrl) } : {}),
          }),
        }),
      ],
      controllers: [
        AuthController,
        WellKnownController,
        OAuthController,
        ForwardAuthController,
        RevocationFeedController,
        SigningKeysController,
        ServiceClientsController,
      ],
      providers: [
        AuthService,
        OAuthService,
        RevocationFeed,
        RevocationFeedGuard,
        ServiceCredentials,
        ServiceClientRepository,
        ServiceClientAuthenticator,
        ServiceClientsService,
        ServiceClientGuard,
        // Also injectable: ServiceClientGuard checks an admin's roles the same way.
        RolesGuard,
        AccessTokenService,
        SigningKeyStore,
        JwtSigner,
        SigningKeyRepository,
        SigningKeyRefresher,
        SigningKeyPruner,
        KeyRotationService,
        CsrfService,
        DpopService,
        DpopProofJtiRepository,
        LoginProtectionService,
        LoginProtectionRepository,
        LoginProtectionPruner,
        PasswordResetTokenRepository,
        PasswordResetTokenPruner,
        ServerSecretRepository,
        LocalStrategy,
        LocalAuthGuard,
        AuthThrottlerGuard,
        {
          provide: PasswordResetNotifier,
          inject: [AppConfig, Clock],
          useFactory: (config: AppConfig, clock: Clock) =>
            options.passwordResetNotifier ?? defaultPasswordResetNotifier(config, clock),
        },
        // The global guard is also a provider: ForwardAuthService calls its check directly.
        AccessTokenGuard,
        ForwardAuthProblemFilter,
        ForwardAuthService,
        CurrentUserService,
        // Order matters: authentication first, then roles.
        { provide: APP_GUARD, useExisting: AccessTokenGuard },
        { provide: APP_GUARD, useClass: RolesGuard },
        // Then step-up (RFC 9470), which reads the claims the access-token guard verified.
        { provide: APP_GUARD, useClass: FreshAuthGuard },
      ],
      exports: [
        AccessTokenService,
        SigningKeyStore,
        JwtSigner,
        KeyRotationService,
        LoginProtectionService,
        AuthService,
        // For service routes in other modules (RequireServiceScope) and the CLI.
        ServiceClientAuthenticator,
        ServiceClientGuard,
        ServiceClientRepository,
        ServiceCredentials,
        ServiceClientsService,
        RolesGuard,
        // app.factory mounts their fastPaths in the global middleware chain.
        ForwardAuthService,
        CurrentUserService,
      ],
    };
  }
}
