import type { AlertEntity, AlertSeverity, AlertStatus } from './alert.entity';

/** An alert as the API, webhooks and channels see it. */
export interface AlertView {
  id: string;
  userId: string | null;
  rule: string;
  severity: AlertSeverity;
  status: AlertStatus;
  title: string;
  ip: string | null;
  evidenceEventIds: string[];
  occurrences: number;
  firstSeenAt: string;
  lastSeenAt: string;
  createdAt: string;
  statusChangedAt: string | null;
  statusChangedBy: string | null;
}

const iso = (value: Date | string): string => new Date(value).toISOString();

export function toAlertView(alert: AlertEntity): AlertView {
  return {
    id: alert.id,
    userId: alert.userId,
    rule: alert.rule,
    severity: alert.severity,
    status: alert.status,
    title: alert.title,
    ip: alert.ip,
    evidenceEventIds: alert.evidenceEventIds,
    occurrences: alert.occurrences,
    firstSeenAt: iso(alert.firstSeenAt),
    lastSeenAt: iso(alert.lastSeenAt),
    createdAt: iso(alert.createdAt),
    statusChangedAt: alert.statusChangedAt ? iso(alert.statusChangedAt) : null,
    statusChangedBy: alert.statusChangedBy,
  };
}

export const SEVERITY_RANK: Record<AlertSeverity, number> = {
  low: 1,
  medium: 2,
  high: 3,
  critical: 4,
};
