/** The outcome of re-checking the audit hash chain. */
export class AuditVerificationDto {
  /** True when every record and link verifies. */
  ok!: boolean;
  /** How many records were checked. */
  checked!: number;
  /** The first record that does not verify (or the missing newest record); null when ok. */
  firstBrokenId!: string | null;
}
