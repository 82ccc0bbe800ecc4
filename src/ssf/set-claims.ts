import type { SecurityEvent } from './caep-events';

/** The JWS `typ` of a Security Event Token (RFC 8417 §2.3, SSF 1.0 §4.1.1). */
export const SET_TYPE = 'secevent+jwt';

/** What a SET says, as stored and signed (SSF 1.0 §4: no `sub`, no `exp`). */
export interface SetClaims extends Record<string, unknown> {
  iss: string;
  aud: string;
  iat: number;
  jti: string;
  sub_id: SecurityEvent['subId'];
  events: Record<string, Record<string, unknown>>;
}

/** One event for one stream: the claims are fixed here, once, with the SET's stable `jti`. */
export function buildSetClaims(input: {
  issuer: string;
  audience: string;
  jti: string;
  issuedAt: Date;
  event: SecurityEvent;
}): SetClaims {
  return {
    iss: input.issuer,
    aud: input.audience,
    iat: Math.floor(input.issuedAt.getTime() / 1000),
    jti: input.jti,
    sub_id: input.event.subId,
    events: { [input.event.eventType]: input.event.payload },
  };
}
