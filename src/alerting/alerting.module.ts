import { AlertObservationPruner } from './alert-observation-pruner.service';
import { type DynamicModule, Module, type Provider, type Type } from '@nestjs/common';
import { AlertChannel, ALERT_CHANNELS } from './alert-channel';
import { AlertDispatcher } from './alert-dispatcher.service';
import { AlertEngine } from './alert-engine.service';
import { AlertRule, ALERT_RULES } from './alert-rule';
import { AlertingSettings, type BurstThreshold, type WebhookSettings } from './alerting-settings';
import { AdminAlertsController, MyAlertsController } from './alerts.controller';
import { AlertRepository } from './alert.repository';
import { AlertsService } from './alerts.service';
import { WebhookRepository } from './webhook.repository';
import { WebhookAlertChannel } from './channels/webhook-alert.channel';
import { EmailAlertChannel } from './channels/email-alert.channel';
import { DEFAULT_ALERT_RULES } from './rules';
import { WebhookWorker } from './webhook-worker.service';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

export interface AlertingModuleOptions {
  /** Extra rules: provider classes (injectable) or ready instances. */
  rules?: Array<Type<AlertRule> | AlertRule>;
  /** Extra delivery channels: provider classes (injectable) or ready instances. */
  channels?: Array<Type<AlertChannel> | AlertChannel>;
  /** Set false to run only your own rules. */
  defaultRules?: boolean;
  failedLoginsPerAccount?: BurstThreshold;
  failedLoginsPerIp?: BurstThreshold;
  channelTimeoutMs?: number;
  webhooks?: Partial<WebhookSettings>;
}

/** Each extension becomes a provider; a class is resolved by Nest, an instance used as is. */
function providersFor<T extends object>(
  items: Array<Type<T> | T>,
  label: string,
): { providers: Provider[]; tokens: Array<Type<T> | symbol> } {
  const providers: Provider[] = [];
  const tokens: Array<Type<T> | symbol> = [];
  items.forEach((item, index) => {
    if (typeof item === 'function') {
      providers.push(item);
      tokens.push(item);
    } else {
      const token = Symbol(`${label}#${index}`);
      providers.push({ provide: token, useValue: item });
      tokens.push(token);
    }
  });
  return { providers, tokens };
}

/** What the application wires in (src/app.module.ts). */
export interface AlertingModuleDeps {
  /**
   * A module exporting AlertRecipients: users get their own alerts by email (SMTP_URL). Unset:
   * no email channel.
   */
  emailRecipients?: DynamicModule;
}

function settingsFrom(options: AlertingModuleOptions): AlertingSettings {
  const settings = new AlertingSettings();
  if (options.failedLoginsPerAccount)
    settings.failedLoginsPerAccount = options.failedLoginsPerAccount;
  if (options.failedLoginsPerIp) settings.failedLoginsPerIp = options.failedLoginsPerIp;
  if (options.channelTimeoutMs) settings.channelTimeoutMs = options.channelTimeoutMs;
  settings.webhooks = { ...settings.webhooks, ...options.webhooks };
  return settings;
}

/**
 * Security alerting. Rules (AlertRule) listen to lifecycle events and raise alerts; alerts are
 * stored, announced as `alert.raised`, and handed to channels (AlertChannel): webhooks built in,
 * the live stream through the event. It imports no feature module: it only listens to events.
 */
@Module({})
export class AlertingModule {
  static forRoot(
    options: AlertingModuleOptions = {},
    deps: AlertingModuleDeps = {},
  ): DynamicModule {
    const rules = providersFor<AlertRule>(
      [...(options.defaultRules === false ? [] : DEFAULT_ALERT_RULES), ...(options.rules ?? [])],
      'AlertRule',
    );
    const channels = providersFor<AlertChannel>(
      [
        WebhookAlertChannel,
        ...(deps.emailRecipients ? [EmailAlertChannel] : []),
        ...(options.channels ?? []),
      ],
      'AlertChannel',
    );
    return {
      module: AlertingModule,
      imports: deps.emailRecipients ? [deps.emailRecipients] : [],
      controllers: [MyAlertsController, AdminAlertsController, WebhooksController],
      providers: [
        { provide: AlertingSettings, useValue: settingsFrom(options) },
        ...rules.providers,
        ...channels.providers,
        { provide: ALERT_RULES, useFactory: (...all: AlertRule[]) => all, inject: rules.tokens },
        {
          provide: ALERT_CHANNELS,
          useFactory: (...all: AlertChannel[]) => all,
          inject: channels.tokens,
        },
        AlertsService,
        AlertRepository,
        WebhookRepository,
        AlertEngine,
        AlertDispatcher,
        WebhooksService,
        WebhookWorker,
        AlertObservationPruner,
      ],
      exports: [AlertsService, WebhooksService],
    };
  }
}
