import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblemResponses } from '../common/api-problem.decorator';
import { AdminOnly } from '../common/roles.decorator';
import { type AuthContext, CurrentAuth } from '../common/auth-context';
import { AuditService, type AuditFilter, type AuditRecordView } from './audit.service';
import { ActivityQueryDto, AuditQueryDto } from './dto/audit-query.dto';
import { AuditRecordPageDto } from './dto/audit-record-response.dto';
import { AuditVerificationDto } from './dto/audit-verification.dto';

interface AuditPageView {
  items: AuditRecordView[];
  nextCursor: string | null;
}

function filterOf(dto: ActivityQueryDto): AuditFilter {
  return {
    sessionId: dto.sessionId,
    type: dto.type,
    from: dto.from ? new Date(dto.from) : undefined,
    to: dto.to ? new Date(dto.to) : undefined,
  };
}

@AdminOnly()
@ApiProblemResponses(401, 403)
@Controller('admin/audit')
export class AuditAdminController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({
    summary: 'Search the audit log, newest first (filters: userId, sessionId, type, from, to)',
  })
  @ApiOkResponse({ type: AuditRecordPageDto })
  @ApiProblemResponses(400)
  list(@Query() dto: AuditQueryDto): Promise<AuditPageView> {
    return this.audit.search(
      { ...filterOf(dto), userId: dto.userId },
      { limit: dto.limit, cursor: dto.cursor },
    );
  }

  @Get('verify')
  @ApiOperation({ summary: 'Re-check the hash chain; an edited or deleted record is reported' })
  @ApiOkResponse({ type: AuditVerificationDto })
  verify(): Promise<AuditVerificationDto> {
    return this.audit.verify();
  }
}

@ApiTags('me')
@ApiBearerAuth('bearer')
@ApiProblemResponses(401)
@Controller('me')
export class MyActivityController {
  constructor(private readonly audit: AuditService) {}

  @Get('activity')
  @ApiOperation({ summary: "The caller's own audit events, newest first (keyset-paginated)" })
  @ApiOkResponse({ type: AuditRecordPageDto })
  @ApiProblemResponses(400)
  activity(
    @CurrentAuth() auth: AuthContext,
    @Query() dto: ActivityQueryDto,
  ): Promise<AuditPageView> {
    return this.audit.search(
      { ...filterOf(dto), userId: auth.userId },
      { limit: dto.limit, cursor: dto.cursor },
    );
  }
}
