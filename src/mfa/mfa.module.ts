import { type DynamicModule, Module, type Type } from '@nestjs/common';
import { MePasskeysController } from './me-passkeys.controller';
import { MeMfaController } from './me-mfa.controller';
import { MfaLoginTokensRepository } from './mfa-login-tokens.repository';
import { MfaTokenService } from './mfa-token.service';
import { MfaExpiryPruner } from './mfa-expiry-pruner.service';
import { MfaService } from './mfa.service';
import { MyPasskeysService } from './my-passkeys.service';
import { PasskeysService } from './passkeys.service';
import { RecoveryCodesRepository } from './recovery-codes.repository';
import { RecoveryCodesService } from './recovery-codes.service';
import { TotpFactorsRepository } from './totp-factors.repository';
import { EnrolledFactorsRepository } from './enrolled-factors.repository';
import { TotpService } from './totp.service';
import { WebAuthnRepository } from './webauthn.repository';

/**
 * Second factors: TOTP, recovery codes, passkeys and the mfaToken between the two login steps.
 * Depends on users and on the global config, clock, secret box and transaction runner; never
 * on sessions, auth, admin, audit or alerting (they build on it). The device of the caller's
 * session comes through the devices module's SessionDeviceLookup port. Exports services only:
 * the tables stay this module's own.
 */
export interface MfaModuleDeps {
  /** The users module instance (UsersService), built once by AppModule. */
  users: Type | DynamicModule;
  /** A module exporting SessionDeviceLookup (the sessions module's SessionCountsModule). */
  sessionDevices: Type | DynamicModule;
}

@Module({})
export class MfaModule {
  static forRoot(deps: MfaModuleDeps): DynamicModule {
    return {
      module: MfaModule,
      imports: [deps.users, deps.sessionDevices],
      controllers: [MeMfaController, MePasskeysController],
      providers: [
        TotpFactorsRepository,
        EnrolledFactorsRepository,
        RecoveryCodesRepository,
        WebAuthnRepository,
        MfaLoginTokensRepository,
        TotpService,
        RecoveryCodesService,
        PasskeysService,
        MfaTokenService,
        MfaService,
        MyPasskeysService,
        MfaExpiryPruner,
      ],
      exports: [MfaService, MfaTokenService, TotpService, RecoveryCodesService, PasskeysService],
    };
  }
}
