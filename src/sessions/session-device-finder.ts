import { Injectable } from '@nestjs/common';
import { SessionDeviceLookup } from '../devices/session-device-lookup';
import { SessionRepository } from './session.repository';

/** Sessions' implementation of the devices module's SessionDeviceLookup port. */
@Injectable()
export class SessionDeviceFinder extends SessionDeviceLookup {
  constructor(private readonly sessions: SessionRepository) {
    super();
  }

  async deviceOf(userId: string, sessionId: string): Promise<string | null> {
    const row = await this.sessions.findRow(sessionId);
    return row && row.user_id === userId ? row.device_id : null;
  }
}
