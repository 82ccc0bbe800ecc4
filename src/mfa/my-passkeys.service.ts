import { Injectable } from '@nestjs/common';
import type {
  PublicKeyCredentialCreationOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { AppException } from '../common/app.exception';
import type { RequestMeta } from '../common/auth-context';
import { SessionDeviceLookup } from '../devices/session-device-lookup';
import { MfaService } from './mfa.service';
import { type PasskeyView, PasskeysService } from './passkeys.service';

/** What the user's own passkey list shows: no key material, counters or flags. */
export interface PasskeySummary {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/** The caller of a self-service route: the user and the session the request came with. */
export interface PasskeyCaller {
  userId: string;
  sessionId: string;
}

function summary({ id, name, createdAt, lastUsedAt }: PasskeyView): PasskeySummary {
  return { id, name, createdAt, lastUsedAt };
}

/**
 * The `/me/passkeys` routes: the caller manages their own passkeys. Enrolment and removal go
 * through MfaService (which records `passkey.added` / `passkey.removed`); a new passkey records
 * the device of the caller's session, found through the SessionDeviceLookup port.
 */
@Injectable()
export class MyPasskeysService {
  constructor(
    private readonly mfa: MfaService,
    private readonly passkeys: PasskeysService,
    private readonly sessionDevices: SessionDeviceLookup,
  ) {}

  creationOptions(userId: string): Promise<PublicKeyCredentialCreationOptionsJSON> {
    return this.mfa.passkeyRegistrationOptions(userId);
  }

  async register(
    caller: PasskeyCaller,
    response: RegistrationResponseJSON,
    name: string | undefined,
    meta: RequestMeta,
  ): Promise<PasskeySummary> {
    // Read before addPasskey opens its transactions (one connection on the embedded database).
    const deviceId = await this.sessionDevices.deviceOf(caller.userId, caller.sessionId);
    const view = await this.mfa.addPasskey(
      caller.userId,
      response,
      { name, deviceId },
      { ...meta, sessionId: caller.sessionId, deviceId: deviceId ?? undefined },
    );
    return summary(view);
  }

  async list(userId: string): Promise<PasskeySummary[]> {
    return (await this.passkeys.list(userId)).map(summary);
  }

  /** Renames one of the caller's passkeys and returns it; another user's id: not_found. */
  async rename(userId: string, id: string, name: string): Promise<PasskeySummary> {
    await this.mfa.renamePasskey(userId, id, name);
    const renamed = (await this.passkeys.list(userId)).find((passkey) => passkey.id === id);
    // Removed by a concurrent request between the two statements: it is gone.
    if (!renamed) throw new AppException('not_found', 'Passkey not found');
    return summary(renamed);
  }

  remove(caller: PasskeyCaller, id: string, meta: RequestMeta): Promise<void> {
    return this.mfa.removePasskey(caller.userId, id, { ...meta, sessionId: caller.sessionId });
  }
}
