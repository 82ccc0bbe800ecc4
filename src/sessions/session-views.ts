import type { DeviceEntity } from '../devices/device.entity';
import type { DeviceSummary } from '../devices/devices.service';
import type { SessionEntity } from './session.entity';

/** The device a session runs on, as the devices module summarises it. */
export type SessionDeviceView = DeviceSummary;

export interface SessionView {
  id: string;
  userId: string;
  current: boolean;
  status: string;
  rememberMe: boolean;
  device: SessionDeviceView | null;
  ip: string | null;
  userAgent: string | null;
  createdAt: string;
  lastActiveAt: string;
  idleExpiresAt: string;
  expiresAt: string;
  endedAt: string | null;
  endReason: string | null;
}

/** A row of the sessions ⟕ devices query used by every session listing. */
export interface SessionRow {
  id: string;
  user_id: string;
  status: string;
  remember_me: boolean;
  ip: string | null;
  user_agent: string | null;
  created_at: Date | string;
  last_active_at: Date | string;
  idle_expires_at: Date | string;
  expires_at: Date | string;
  ended_at: Date | string | null;
  end_reason: string | null;
  device_id: string | null;
  device_name: string | null;
  device_platform: string | null;
  device_os: string | null;
  device_browser: string | null;
  device_trusted: boolean | null;
}

export const SESSION_ROW_SELECT = `
  s.id, s.user_id, s.status, s.remember_me, s.ip, s.user_agent, s.created_at, s.last_active_at,
  s.idle_expires_at, s.expires_at, s.ended_at, s.end_reason, s.device_id,
  d.name AS device_name, d.platform AS device_platform, d.os AS device_os,
  d.browser AS device_browser, d.trusted AS device_trusted`;

const iso = (value: Date | string): string => new Date(value).toISOString();

export function toSessionView(row: SessionRow, currentSessionId?: string): SessionView {
  return {
    id: row.id,
    userId: row.user_id,
    current: row.id === currentSessionId,
    status: row.status,
    rememberMe: row.remember_me,
    device: row.device_id
      ? {
          id: row.device_id,
          name: row.device_name ?? '',
          platform: row.device_platform,
          os: row.device_os,
          browser: row.device_browser,
          trusted: Boolean(row.device_trusted),
        }
      : null,
    ip: row.ip,
    userAgent: row.user_agent,
    createdAt: iso(row.created_at),
    lastActiveAt: iso(row.last_active_at),
    idleExpiresAt: iso(row.idle_expires_at),
    expiresAt: iso(row.expires_at),
    endedAt: row.ended_at ? iso(row.ended_at) : null,
    endReason: row.end_reason,
  };
}

/** The view of a session just created or refreshed, from what the caller holds (no read back). */
export function newSessionView(
  session: SessionEntity,
  device: Pick<DeviceEntity, 'id' | 'name' | 'platform' | 'os' | 'browser' | 'trusted'> | null,
): SessionView {
  return {
    id: session.id,
    userId: session.userId,
    current: true,
    status: session.status,
    rememberMe: session.rememberMe,
    device: device
      ? {
          id: device.id,
          name: device.name,
          platform: device.platform ?? null,
          os: device.os ?? null,
          browser: device.browser ?? null,
          trusted: device.trusted,
        }
      : null,
    ip: session.ip,
    userAgent: session.userAgent,
    createdAt: iso(session.createdAt),
    lastActiveAt: iso(session.lastActiveAt),
    idleExpiresAt: iso(session.idleExpiresAt),
    expiresAt: iso(session.expiresAt),
    endedAt: session.endedAt ? iso(session.endedAt) : null,
    endReason: session.endReason,
  };
}
