import type { Type } from '@nestjs/common';
import type { AlertRule } from '../alert-rule';
import { AccountLockedRule } from './account-locked.rule';
import { FailedLoginBurstAccountRule, FailedLoginBurstIpRule } from './failed-login-burst.rule';
import { NewDeviceRule } from './new-device.rule';
import { RecoveryCodeUsedRule } from './recovery-code-used.rule';
import { RefreshReuseRule } from './refresh-reuse.rule';
import { SecondFactorRemovedRule } from './second-factor-removed.rule';
import { SessionIpChangedRule } from './session-ip-changed.rule';
import { SessionLimitEvictionRule } from './session-limit-eviction.rule';

/** The rules every installation gets unless `defaultRules: false`. */
export const DEFAULT_ALERT_RULES: Array<Type<AlertRule>> = [
  NewDeviceRule,
  RefreshReuseRule,
  FailedLoginBurstAccountRule,
  FailedLoginBurstIpRule,
  AccountLockedRule,
  SessionIpChangedRule,
  SessionLimitEvictionRule,
  SecondFactorRemovedRule,
  RecoveryCodeUsedRule,
];
