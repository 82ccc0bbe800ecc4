import { readFileSync } from 'node:fs';
import { Command, CommandRunner, Option } from 'nest-commander';
import {
  type ServiceClientView,
  ServiceClientsService,
} from '../../auth/oauth/service-clients.service';
import { SERVICE_CLIENT_AUTH_METHODS, SERVICE_SCOPES } from '../../auth/oauth/service-credentials';
import { CLI_ACTOR_ID, CliError, writeOut } from '../cli-output';
import { CliRuntime } from '../cli-runtime.service';

interface CreateOptions {
  name: string;
  scope: string[];
  method?: string;
  jwks?: string;
}

function readJwks(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch {
    throw new CliError(`--jwks: ${path} is not a readable JSON file`);
  }
}

function formatClient(client: ServiceClientView): string {
  return [
    client.clientId,
    client.tokenEndpointAuthMethod.padEnd(19),
    client.scopes.join(','),
    `created ${client.createdAt}`,
    `last used ${client.lastUsedAt ?? 'never'}`,
    client.name,
  ].join('  ');
}

@Command({
  name: 'clients:create',
  description:
    'Register a service client (audited with the CLI as actor). Prints client_id, and for the ' +
    'secret methods the client_secret: shown this once, stored only hashed',
})
export class ClientsCreateCommand extends CommandRunner {
  constructor(private readonly runtime: CliRuntime) {
    super();
  }

  async run(_args: string[], options: CreateOptions): Promise<void> {
    // A JWKS file means private_key_jwt unless a method is named.
    const jwks = options.jwks === undefined ? undefined : readJwks(options.jwks);
    const method = options.method ?? (jwks === undefined ? undefined : 'private_key_jwt');
    const created = await this.runtime.withApp((app) =>
      app
        .get(ServiceClientsService)
        .create(
          { name: options.name, scopes: options.scope, tokenEndpointAuthMethod: method, jwks },
          CLI_ACTOR_ID,
        ),
    );
    const lines = [
      `created service client "${created.name}" (${created.tokenEndpointAuthMethod}; scopes ${created.scopes.join(' ')})`,
      `client_id: ${created.clientId}`,
      ...(created.clientSecret === undefined
        ? []
        : [
            `client_secret: ${created.clientSecret}`,
            'the secret is shown this once: store it now',
          ]),
    ];
    await writeOut(`${lines.join('\n')}\n`);
  }

  @Option({ flags: '--name <name>', description: 'what the client is, for admins', required: true })
  parseName(value: string): string {
    return value;
  }

  @Option({
    flags: '--scope <scope>',
    description: `a scope to grant (repeat for more): ${SERVICE_SCOPES.join(', ')}`,
    required: true,
  })
  parseScope(value: string, previous: string[] = []): string[] {
    return [...previous, value];
  }

  @Option({
    flags: '--method <method>',
    description: `${SERVICE_CLIENT_AUTH_METHODS.join(', ')} (default client_secret_basic, or private_key_jwt with --jwks)`,
  })
  parseMethod(value: string): string {
    return value;
  }

  @Option({
    flags: '--jwks <file>',
    description: "private_key_jwt: a JSON file with the client's public JWK Set ({ keys: [...] })",
  })
  parseJwks(value: string): string {
    return value;
  }
}

@Command({
  name: 'clients:list',
  description: 'List the enabled service clients, newest first (never their secrets)',
})
export class ClientsListCommand extends CommandRunner {
  constructor(private readonly runtime: CliRuntime) {
    super();
  }

  async run(): Promise<void> {
    const clients = await this.runtime.withApp((app) => app.get(ServiceClientsService).list());
    const text = clients.length === 0 ? 'no service clients' : clients.map(formatClient).join('\n');
    await writeOut(`${text}\n`);
  }
}

@Command({
  name: 'clients:delete',
  arguments: '<clientId>',
  argsDescription: { clientId: 'the client_id (svc_…)' },
  description:
    'Disable a service client: refused at once by every running instance, its tokens too (audited)',
})
export class ClientsDeleteCommand extends CommandRunner {
  constructor(private readonly runtime: CliRuntime) {
    super();
  }

  async run([clientId]: string[]): Promise<void> {
    await this.runtime.withApp((app) =>
      app.get(ServiceClientsService).delete(clientId, CLI_ACTOR_ID),
    );
    await writeOut(`disabled service client ${clientId}\n`);
  }
}
