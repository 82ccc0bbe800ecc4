import { Command, CommandRunner, Option } from 'nest-commander';
import { AdminUsersService } from '../../admin/admin-users.service';
import { UUID_PATTERN } from '../../common/keyset-cursor';
import { SessionSearchService } from '../../sessions/session-search.service';
import type { SessionView } from '../../sessions/session-views';
import { CLI_ACTOR_ID, CliError, writeOut } from '../cli-output';
import { CliRuntime } from '../cli-runtime.service';
import { userByEmail } from './user-lookup';

const PAGE = 200;

function formatSession(session: SessionView): string {
  const device = session.device
    ? `${session.device.name}${session.device.trusted ? ' (trusted)' : ''}`
    : '-';
  const ended = session.endedAt ? `  ended ${session.endedAt} (${session.endReason ?? '?'})` : '';
  return [
    session.id,
    session.status.padEnd(7),
    device,
    session.ip ?? '-',
    `created ${session.createdAt}`,
    `last active ${session.lastActiveAt}${ended}`,
  ].join('  ');
}

interface ListOptions {
  all?: boolean;
  json?: boolean;
}

@Command({
  name: 'sessions:list',
  arguments: '<email>',
  argsDescription: { email: 'login email of the user' },
  description: "List a user's live sessions, newest first (--all: ended ones too)",
})
export class SessionsListCommand extends CommandRunner {
  constructor(private readonly runtime: CliRuntime) {
    super();
  }

  async run([email]: string[], options: ListOptions): Promise<void> {
    await this.runtime.withApp(async (app) => {
      const user = await userByEmail(app, email);
      const search = app.get(SessionSearchService);
      const filter = { userId: user.id, status: options.all ? undefined : ('active' as const) };
      let cursor: string | undefined;
      let count = 0;
      do {
        const page = await search.searchSessions(filter, { limit: PAGE, cursor });
        for (const session of page.items) {
          await writeOut(`${options.json ? JSON.stringify(session) : formatSession(session)}\n`);
        }
        count += page.items.length;
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      if (count === 0 && !options.json)
        await writeOut(`no ${options.all ? '' : 'live '}sessions\n`);
    });
  }

  @Option({ flags: '--all', description: 'include revoked and expired sessions' })
  parseAll(): boolean {
    return true;
  }

  @Option({ flags: '--json', description: 'one JSON object per line' })
  parseJson(): boolean {
    return true;
  }
}

@Command({
  name: 'sessions:revoke',
  arguments: '<email>',
  argsDescription: { email: 'login email of the user' },
  description: "Revoke all of a user's sessions, or one with --session (reason 'admin')",
})
export class SessionsRevokeCommand extends CommandRunner {
  constructor(private readonly runtime: CliRuntime) {
    super();
  }

  async run([email]: string[], options: { session?: string }): Promise<void> {
    const message = await this.runtime.withApp(async (app) => {
      const user = await userByEmail(app, email);
      const revoked = await app
        .get(AdminUsersService)
        .revokeSessions(user.id, CLI_ACTOR_ID, options.session ? [options.session] : undefined);
      if (options.session && revoked.length === 0) {
        throw new CliError(`${options.session} is not a live session of ${user.email}`);
      }
      return `revoked ${revoked.length} session${revoked.length === 1 ? '' : 's'} of ${user.email}`;
    });
    await writeOut(`${message}\n`);
  }

  @Option({ flags: '--session <id>', description: 'revoke only this session' })
  parseSession(value: string): string {
    if (!UUID_PATTERN.test(value)) throw new CliError(`--session: ${value} is not a session id`);
    return value;
  }
}
