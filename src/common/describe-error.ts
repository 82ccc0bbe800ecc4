/**
 * A one-line description of anything thrown: its message for an Error, else its string form.
 * For log lines and stored last-error fields; never shown to API clients.
 */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
