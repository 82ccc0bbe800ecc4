import { AppException } from '../common/app.exception';

/** A poll answers at most this many SETs, whatever `maxEvents` asks (RFC 8936 §2.4). */
export const POLL_MAX_EVENTS = 1000;
/** Without `maxEvents` the transmitter chooses. */
export const POLL_DEFAULT_EVENTS = 100;
/** Acknowledgements and errors one request may carry. */
export const POLL_MAX_ACKS = 1000;

/** One SET the receiver refused (RFC 8936 §2.4.3 `setErrs` member). */
export interface SetError {
  err: string;
  description: string;
}

/** A poll request (RFC 8936 §2.4), validated and with its defaults. */
export interface PollPlan {
  /** 0: acknowledge only, return nothing. */
  maxEvents: number;
  returnImmediately: boolean;
  ack: string[];
  setErrs: Map<string, SetError>;
}

const ERR_CODE = /^[A-Za-z0-9_.-]{1,64}$/;

function refuse(field: string, message: string): AppException {
  return new AppException('validation_failed', `${field} ${message}`, {
    errors: [{ field, messages: [message] }],
  });
}

/**
 * Reads `setErrs` (a JSON object: jti → {err, description}), which the DTO layer cannot describe
 * field by field. A jti both acknowledged and refused is a contradiction and is refused.
 */
export function planPoll(input: {
  maxEvents?: number;
  returnImmediately?: boolean;
  ack?: string[];
  setErrs?: Record<string, unknown>;
}): PollPlan {
  const setErrs = new Map<string, SetError>();
  const entries = Object.entries(input.setErrs ?? {});
  if (entries.length > POLL_MAX_ACKS) throw refuse('setErrs', `must hold at most ${POLL_MAX_ACKS}`);
  for (const [jti, value] of entries) {
    if (jti.length === 0 || jti.length > 64) throw refuse('setErrs', 'keys must be SET jti values');
    const { err, description } = (value ?? {}) as Record<string, unknown>;
    if (typeof value !== 'object' || typeof err !== 'string' || !ERR_CODE.test(err))
      throw refuse(`setErrs.${jti}.err`, 'must be an error code such as invalid_issuer');
    if (description !== undefined && (typeof description !== 'string' || description.length > 500))
      throw refuse(`setErrs.${jti}.description`, 'must be a string of at most 500 characters');
    setErrs.set(jti, { err, description: description ?? '' });
  }
  const ack = [...new Set(input.ack ?? [])];
  const both = ack.find((jti) => setErrs.has(jti));
  if (both !== undefined) throw refuse('ack', `names ${both}, which setErrs refuses too`);
  return {
    maxEvents: Math.min(input.maxEvents ?? POLL_DEFAULT_EVENTS, POLL_MAX_EVENTS),
    returnImmediately: input.returnImmediately ?? false,
    ack,
    setErrs,
  };
}
