import type { AuditVerification } from '../audit.service';
import { ApiProperty } from '@nestjs/swagger';

/** The outcome of re-checking the audit hash chain. */
export class AuditVerificationDto implements AuditVerification {
  /** True when every record and link verifies. */
  @ApiProperty({ description: 'True when every record and link verifies', example: true })
  ok!: boolean;

  /** How many records were checked. */
  @ApiProperty({ description: 'How many records were checked', example: 1250 })
  checked!: number;

  /** The first record that does not verify (or the missing newest record); null when ok. */
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description:
      'The first record that does not verify (or the missing newest record); null when ok',
    example: null,
  })
  firstBrokenId!: string | null;
}
