import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { Public } from '../common/public.decorator';
import { LivenessDto, ReadinessDto } from './dto/health-response.dto';

const READY_TIMEOUT_MS = 2000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface ReadinessReport {
  status: 'ok' | 'unavailable';
  checks: { database: 'up' | 'down'; migrations: 'applied' | 'pending' | 'unknown' };
}

@ApiTags('operations')
@Public()
@Controller('health')
export class HealthController {
  private migrationsApplied = false;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Get('live')
  @HttpCode(200)
  @ApiOperation({ summary: 'Liveness: the process is up and serving' })
  @ApiOkResponse({ type: LivenessDto, description: 'Up' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: the database answers and every migration is applied' })
  @ApiOkResponse({ type: ReadinessDto, description: 'Ready to serve traffic' })
  @ApiServiceUnavailableResponse({
    type: ReadinessDto,
    description: 'Not ready; the body (status unavailable) says which check failed',
  })
  async ready(@Res({ passthrough: true }) res: Response): Promise<ReadinessReport> {
    const report = await this.check();
    res.status(report.status === 'ok' ? 200 : 503);
    return report;
  }

  private async check(): Promise<ReadinessReport> {
    try {
      await withTimeout(this.dataSource.query('SELECT 1'), READY_TIMEOUT_MS);
    } catch {
      return { status: 'unavailable', checks: { database: 'down', migrations: 'unknown' } };
    }
    if (!this.migrationsApplied) {
      // Applied migrations cannot become pending without a deploy, so check until true once.
      this.migrationsApplied = !(await this.dataSource.showMigrations());
    }
    return this.migrationsApplied
      ? { status: 'ok', checks: { database: 'up', migrations: 'applied' } }
      : { status: 'unavailable', checks: { database: 'up', migrations: 'pending' } };
  }
}
