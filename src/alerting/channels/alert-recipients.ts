/**
 * Port: where to write to a user about their alerts. Declared here because alerting imports no
 * feature module; the composition root implements it with the users module
 * (src/alert-recipients.module.ts).
 */
export abstract class AlertRecipients {
  /** The user's email address, or undefined when the user no longer exists. */
  abstract emailOf(userId: string): Promise<string | undefined>;
}
