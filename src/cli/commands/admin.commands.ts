import { isEmail } from 'class-validator';
import { Command, CommandRunner, Option } from 'nest-commander';
import { AdminUsersService } from '../../admin/admin-users.service';
import { CLI_ACTOR_ID, CliError, writeOut } from '../cli-output';
import { CliRuntime } from '../cli-runtime.service';
import { userByEmail } from './user-lookup';

interface CreateOptions {
  email: string;
  password: string;
}

@Command({
  name: 'admin:create',
  description: 'Create a user with the admin role, or grant admin to the existing user',
})
export class AdminCreateCommand extends CommandRunner {
  constructor(private readonly runtime: CliRuntime) {
    super();
  }

  async run(_args: string[], options: CreateOptions): Promise<void> {
    if (!isEmail(options.email))
      throw new CliError(`--email: ${options.email} is not an email address`);
    const message = await this.runtime.withApp(async (app) => {
      const result = await app.get(AdminUsersService).createAdmin(options, CLI_ACTOR_ID);
      const { user } = result;
      if (!result.changed) return `${user.email} is already an admin`;
      return result.created
        ? `created admin ${user.email} (${user.id})`
        : `granted admin to the existing user ${user.email} (${user.id}); password unchanged`;
    });
    await writeOut(`${message}\n`);
  }

  @Option({ flags: '--email <email>', description: 'login email of the admin', required: true })
  parseEmail(value: string): string {
    return value;
  }

  @Option({
    flags: '--password <password>',
    description: 'password for a new user (ignored when the user exists)',
    required: true,
  })
  parsePassword(value: string): string {
    return value;
  }
}

/** Grants or takes away the admin role; idempotent. */
async function changeAdminRole(runtime: CliRuntime, email: string, grant: boolean): Promise<void> {
  const message = await runtime.withApp(async (app) => {
    const user = await userByEmail(app, email);
    const { changed } = await app.get(AdminUsersService).setAdmin(user, grant, CLI_ACTOR_ID);
    if (!changed) return `${user.email} ${grant ? 'is already' : 'is not'} an admin`;
    // Roles are re-read on every admin request, so this holds from the next request on.
    return `${grant ? 'granted admin to' : 'revoked admin from'} ${user.email} (${user.id})`;
  });
  await writeOut(`${message}\n`);
}

@Command({
  name: 'admin:grant',
  arguments: '<email>',
  argsDescription: { email: 'login email of the user' },
  description: 'Give an existing user the admin role',
})
export class AdminGrantCommand extends CommandRunner {
  constructor(private readonly runtime: CliRuntime) {
    super();
  }

  run([email]: string[]): Promise<void> {
    return changeAdminRole(this.runtime, email, true);
  }
}

@Command({
  name: 'admin:revoke',
  arguments: '<email>',
  argsDescription: { email: 'login email of the user' },
  description: 'Take the admin role away (effective on their next request)',
})
export class AdminRevokeCommand extends CommandRunner {
  constructor(private readonly runtime: CliRuntime) {
    super();
  }

  run([email]: string[]): Promise<void> {
    return changeAdminRole(this.runtime, email, false);
  }
}
