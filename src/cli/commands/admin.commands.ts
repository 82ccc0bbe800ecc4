import { isEmail } from 'class-validator';
import { Command, CommandRunner, Option } from 'nest-commander';
import { TransactionRunner } from '../../events/transaction-runner.service';
import type { Role } from '../../users/user.entity';
import { UsersService } from '../../users/users.service';
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
      const users = app.get(UsersService);
      // Looked up before the transaction: the embedded database has a single connection.
      const existing = await users.findByEmail(options.email);
      if (existing?.roles.includes('admin')) return `${existing.email} is already an admin`;
      return app.get(TransactionRunner).run(async (tx) => {
        // Created as a plain user, then granted: the audit trail shows who made the admin.
        const user = existing ?? (await users.create(tx, options));
        await users.setRoles(tx, user.id, [...user.roles, 'admin'], CLI_ACTOR_ID);
        return existing
          ? `granted admin to the existing user ${user.email} (${user.id}); password unchanged`
          : `created admin ${user.email} (${user.id})`;
      });
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
    const users = app.get(UsersService);
    const user = await userByEmail(app, email);
    if (user.roles.includes('admin') === grant) {
      return `${user.email} ${grant ? 'is already' : 'is not'} an admin`;
    }
    const roles: Role[] = grant
      ? [...user.roles, 'admin']
      : user.roles.filter((role) => role !== 'admin');
    await app.get(TransactionRunner).run((tx) => users.setRoles(tx, user.id, roles, CLI_ACTOR_ID));
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
