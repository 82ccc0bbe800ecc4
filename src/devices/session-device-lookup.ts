/**
 * The device a session was signed in from. Declared here and implemented by the sessions module
 * (which owns the sessions table), for the mfa module: a passkey records the device it was
 * registered from. mfa may not import sessions and sessions may not import mfa, so the port
 * lives in devices, which both may import.
 */
export abstract class SessionDeviceLookup {
  /** The device id of the user's session, or null when the session has none or is not theirs. */
  abstract deviceOf(userId: string, sessionId: string): Promise<string | null>;
}
