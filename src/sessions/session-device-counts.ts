import { Injectable } from '@nestjs/common';
import { DeviceSessionCounts } from '../devices/device-session-counts';
import { SessionRepository } from './session.repository';

/** Sessions' implementation of the devices module's port (sessions own the sessions table). */
@Injectable()
export class SessionDeviceCounts extends DeviceSessionCounts {
  constructor(private readonly sessions: SessionRepository) {
    super();
  }

  activeByDevice(userId: string, now: Date): Promise<Map<string, number>> {
    return this.sessions.liveCountsByDevice(userId, now);
  }
}
