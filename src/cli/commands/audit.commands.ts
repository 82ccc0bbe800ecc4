import { readFileSync } from 'node:fs';
import { isISO8601 } from 'class-validator';
import { Command, CommandRunner, Option } from 'nest-commander';
import { type AnchorVerification, type AuditAnchor, AuditService } from '../../audit/audit.service';
import { formatDuration } from '../../config/duration';
import { AppConfig } from '../../config/app-config';
import { CliError, writeOut } from '../cli-output';
import { CliRuntime } from '../cli-runtime.service';

/** Exit status of audit:verify when the chain is broken (1 stays "could not check"). */
export const AUDIT_BROKEN_EXIT = 2;

@Command({
  name: 'audit:verify',
  description: `Check the audit log's hash chain (exit ${AUDIT_BROKEN_EXIT} when it is broken)`,
})
export class AuditVerifyCommand extends CommandRunner {
  constructor(private readonly runtime: CliRuntime) {
    super();
  }

  async run(_args: string[], options: { anchor?: AuditAnchor }): Promise<void> {
    const anchor = options.anchor;
    const result: AnchorVerification = await this.runtime.withApp(async (app) =>
      anchor
        ? app.get(AuditService).verifyAnchor(anchor)
        : { ...(await app.get(AuditService).verify()), anchorProblem: null },
    );
    if (result.anchorProblem) {
      throw new CliError(`audit anchor does not hold: ${result.anchorProblem}`, AUDIT_BROKEN_EXIT);
    }
    if (!result.ok) {
      throw new CliError(
        `audit chain broken at record ${result.firstBrokenId ?? '?'} (${result.checked} checked)`,
        AUDIT_BROKEN_EXIT,
      );
    }
    const anchored = anchor ? `; anchor of ${anchor.at} (${anchor.count} records) holds` : '';
    await writeOut(`audit chain intact: ${result.checked} records checked${anchored}\n`);
  }

  @Option({
    flags: '--anchor <file>',
    description: 'an anchor from audit:anchor: also prove nothing up to its head was removed',
  })
  parseAnchor(file: string): AuditAnchor {
    try {
      const value = JSON.parse(readFileSync(file, 'utf8')) as Partial<AuditAnchor>;
      if (
        typeof value.count !== 'number' ||
        typeof value.headSeq !== 'string' ||
        typeof value.headHash !== 'string' ||
        typeof value.at !== 'string' ||
        typeof value.kid !== 'string' ||
        typeof value.mac !== 'string'
      ) {
        throw new Error('not an audit anchor');
      }
      return { ...value, headId: value.headId ?? null } as AuditAnchor;
    } catch (error) {
      throw new CliError(`--anchor: cannot read ${file} (${(error as Error).message})`);
    }
  }
}

@Command({
  name: 'audit:anchor',
  description:
    'Print a signed anchor (count and head of the audit chain) as JSON; keep it outside the database',
})
export class AuditAnchorCommand extends CommandRunner {
  constructor(private readonly runtime: CliRuntime) {
    super();
  }

  async run(): Promise<void> {
    const result = await this.runtime.withApp((app) => app.get(AuditService).anchor());
    if (!('mac' in result)) {
      throw new CliError(
        `audit chain broken at record ${result.firstBrokenId ?? '?'}: no anchor made`,
        AUDIT_BROKEN_EXIT,
      );
    }
    await writeOut(`${JSON.stringify(result)}\n`);
  }
}

function parseInstant(flag: string, value: string): Date {
  if (!isISO8601(value, { strict: true })) {
    throw new CliError(`${flag}: ${value} is not an ISO-8601 date or time`);
  }
  return new Date(value);
}

@Command({
  name: 'audit:export',
  description: 'Write audit records occurring in [from, to) to stdout as JSON Lines, oldest first',
})
export class AuditExportCommand extends CommandRunner {
  constructor(private readonly runtime: CliRuntime) {
    super();
  }

  async run(_args: string[], options: { from?: Date; to?: Date }): Promise<void> {
    await this.runtime.withApp(async (app) => {
      for await (const line of app.get(AuditService).exportJsonLines(options)) await writeOut(line);
    });
  }

  @Option({ flags: '--from <iso>', description: 'first instant included, e.g. 2030-01-01' })
  parseFrom(value: string): Date {
    return parseInstant('--from', value);
  }

  @Option({ flags: '--to <iso>', description: 'first instant excluded, e.g. 2030-02-01T00:00Z' })
  parseTo(value: string): Date {
    return parseInstant('--to', value);
  }
}

@Command({
  name: 'audit:purge',
  description: 'Delete audit records older than AUDIT_RETENTION (the server also does it hourly)',
})
export class AuditPurgeCommand extends CommandRunner {
  constructor(
    private readonly runtime: CliRuntime,
    private readonly config: AppConfig,
  ) {
    super();
  }

  async run(): Promise<void> {
    const purged = await this.runtime.withApp((app) => app.get(AuditService).purge());
    const retention = formatDuration(this.config.auditRetentionMs);
    await writeOut(
      `purged ${purged} audit record${purged === 1 ? '' : 's'} older than ${retention}\n`,
    );
  }
}
