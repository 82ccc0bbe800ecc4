import { ApiProperty } from '@nestjs/swagger';

/** GET /health/live. */
export class LivenessDto {
  @ApiProperty({ enum: ['ok'], example: 'ok' })
  status!: 'ok';
}

export class ReadinessChecksDto {
  @ApiProperty({ enum: ['up', 'down'], example: 'up' })
  database!: 'up' | 'down';

  @ApiProperty({
    enum: ['applied', 'pending', 'unknown'],
    description: 'unknown while the database is down',
    example: 'applied',
  })
  migrations!: 'applied' | 'pending' | 'unknown';
}

/** GET /health/ready: 200 with status ok, or 503 with status unavailable and the failed check. */
export class ReadinessDto {
  @ApiProperty({ enum: ['ok', 'unavailable'], example: 'ok' })
  status!: 'ok' | 'unavailable';

  @ApiProperty({ type: ReadinessChecksDto })
  checks!: ReadinessChecksDto;
}
