import type { AppConfig } from './app-config';

/**
 * The start-up line about who may read /docs and /metrics, and which of that came from the
 * NODE_ENV defaults (production: DOCS_ACCESS=admin, METRICS_ACCESS=token; otherwise public), so
 * an operator sees a default they did not choose.
 */
export function accessStartupNote(
  config: AppConfig,
  env: Record<string, string | undefined>,
): string {
  const production = config.nodeEnv === 'production';
  const defaulted = (name: string): boolean => !env[name]?.trim();
  const parts = [
    `DOCS_ACCESS=${config.docsAccess}${defaulted('DOCS_ACCESS') ? ' (default)' : ''}`,
    `METRICS_ACCESS=${config.metricsAccess}${defaulted('METRICS_ACCESS') ? ' (default)' : ''}`,
  ];
  let note = `Access to /docs and /metrics: ${parts.join(', ')}; `;
  note += production
    ? 'NODE_ENV=production defaults are DOCS_ACCESS=admin and METRICS_ACCESS=token'
    : 'outside production the defaults are public (production: DOCS_ACCESS=admin, METRICS_ACCESS=token)';
  if (config.metricsAccess === 'token' && !config.metricsToken)
    note += '; METRICS_TOKEN is unset, so /metrics refuses every scrape';
  return note;
}
