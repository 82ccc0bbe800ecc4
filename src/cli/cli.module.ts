import { type DynamicModule, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import type { Command as Commander } from 'commander';
import { InjectCommander } from 'nest-commander';
import { AppConfig } from '../config/app-config';
import {
  AdminCreateCommand,
  AdminGrantCommand,
  AdminRevokeCommand,
} from './commands/admin.commands';
import {
  AuditAnchorCommand,
  AuditExportCommand,
  AuditPurgeCommand,
  AuditVerifyCommand,
} from './commands/audit.commands';
import {
  ClientsCreateCommand,
  ClientsDeleteCommand,
  ClientsListCommand,
} from './commands/clients.commands';
import { KeysRotateCommand } from './commands/keys.command';
import { MfaResetCommand } from './commands/mfa.commands';
import { SessionsListCommand, SessionsRevokeCommand } from './commands/sessions.commands';
import { UsersUnlockCommand } from './commands/users.commands';
import { CliRuntime } from './cli-runtime.service';

const COMMANDS = [
  AdminCreateCommand,
  AdminGrantCommand,
  AdminRevokeCommand,
  SessionsListCommand,
  SessionsRevokeCommand,
  AuditVerifyCommand,
  AuditAnchorCommand,
  AuditExportCommand,
  AuditPurgeCommand,
  KeysRotateCommand,
  ClientsCreateCommand,
  ClientsListCommand,
  ClientsDeleteCommand,
  UsersUnlockCommand,
  MfaResetCommand,
];

/** Names the program in --help as operators run it, and says what configures it. */
@Injectable()
class ProgramHelp implements OnModuleInit {
  constructor(@InjectCommander() private readonly program: Commander) {}

  onModuleInit(): void {
    this.program
      .name('npm run cli --')
      .description('Tessera operator commands')
      .addHelpText(
        'after',
        '\nConfiguration comes from the environment (and .env), exactly as for the server:\n' +
          'DATABASE_URL, or the embedded database in DATA_DIR (which a running server locks).\n' +
          'Exit status 0 on success; otherwise one line on stderr and a non-zero status.\n' +
          "Run 'npm run cli -- <command> --help' for a command's arguments.",
      );
  }
}

/**
 * The nest-commander root: configuration, the commands, and the runtime that boots the
 * application modules only for commands that need the database.
 */
@Module({})
export class CliModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: CliModule,
      providers: [{ provide: AppConfig, useValue: config }, CliRuntime, ProgramHelp, ...COMMANDS],
    };
  }
}
