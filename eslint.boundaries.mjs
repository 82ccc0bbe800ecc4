// The module map, enforced: which src/ module may import which (see docs/architecture.md).
// Arrow "a <- b" reads "a may be imported by b": users <- devices <- sessions <- auth <- admin,
// and users <- devices <- mfa <- auth (second factors sit beside sessions, below auth).
// Type-only imports count the same as value imports.
import boundaries from 'eslint-plugin-boundaries';
import tseslint from 'typescript-eslint';

const FEATURES = ['users', 'devices', 'mfa', 'sessions', 'auth', 'admin'];
const LISTENERS = ['audit', 'alerting', 'live', 'metrics'];
const FOUNDATION = ['common', 'config', 'events'];
const OTHERS = ['database', 'health', 'cli'];
/** The Shared Signals transmitter: built on auth (keys, service clients), fed by events. */
const SIGNALS = ['ssf'];

/** What each module must not import (everything else is allowed). */
const FORBIDDEN = {
  users: ['devices', 'mfa', 'sessions', 'auth', 'admin', ...SIGNALS],
  devices: ['mfa', 'sessions', 'auth', 'admin', ...SIGNALS],
  mfa: ['sessions', 'auth', 'admin', ...SIGNALS],
  sessions: ['mfa', 'auth', 'admin', ...SIGNALS],
  auth: ['admin', ...SIGNALS],
  admin: [],
  audit: [...FEATURES, ...SIGNALS],
  alerting: [...FEATURES, ...SIGNALS],
  live: [...FEATURES, ...SIGNALS],
  metrics: [...FEATURES, ...SIGNALS],
  common: [...FEATURES, ...LISTENERS, ...SIGNALS],
  config: [...FEATURES, ...LISTENERS, ...SIGNALS],
  events: [...FEATURES, ...LISTENERS, ...SIGNALS],
  database: [],
  health: [...FEATURES, ...LISTENERS, ...SIGNALS],
  cli: [],
  ssf: ['users', 'devices', 'mfa', 'sessions', 'admin'],
};
/** Only the composition root (src/*.ts), the CLI and the entity list may import these. */
const WIRING_ONLY = ['audit', 'alerting'];
const WIRING = ['cli', 'database'];

const MODULES = [...FEATURES, ...LISTENERS, ...FOUNDATION, ...OTHERS, ...SIGNALS];

export const boundariesConfig = {
  files: ['src/**/*.ts'],
  plugins: { boundaries },
  settings: {
    // Files directly in src/ (main, app.module, app.factory, cli) are the composition root:
    // they belong to no element, so no policy restricts them.
    'boundaries/elements': MODULES.map((type) => ({
      type,
      pattern: `src/${type}`,
      partialMatch: false,
    })),
    'boundaries/include': ['src/**/*.ts'],
    'import/resolver': { node: { extensions: ['.ts', '.js'] } },
  },
  rules: {
    'boundaries/dependencies': [
      'error',
      {
        default: 'allow',
        policies: [
          ...Object.entries(FORBIDDEN)
            .filter(([, targets]) => targets.length > 0)
            .map(([from, targets]) => ({
              from: { element: { type: from } },
              disallow: { to: { element: { types: { anyOf: targets } } } },
              message: `${from} must not import ${targets.join(', ')} (docs/architecture.md, module map)`,
            })),
          {
            from: {
              element: {
                types: {
                  anyOf: MODULES.filter((type) => ![...WIRING, ...WIRING_ONLY].includes(type)),
                },
              },
            },
            disallow: { to: { element: { types: { anyOf: WIRING_ONLY } } } },
            message: 'only app.module, app.factory and the CLI may import audit or alerting',
          },
        ],
      },
    ],
  },
};

/**
 * The boundaries rule alone, with a plain TypeScript parser: what the unit spec
 * (src/lint/module-boundaries.spec.ts) lints virtual files with, no type information needed.
 */
export default [
  { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } },
  boundariesConfig,
];
