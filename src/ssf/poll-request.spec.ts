import { AppException } from '../common/app.exception';
import { planPoll, POLL_DEFAULT_EVENTS, POLL_MAX_EVENTS } from './poll-request';

describe('planPoll (RFC 8936 request)', () => {
  it('defaults to a long poll of up to 100 SETs, acknowledging nothing', () => {
    expect(planPoll({})).toEqual({
      maxEvents: POLL_DEFAULT_EVENTS,
      returnImmediately: false,
      ack: [],
      setErrs: new Map(),
    });
  });

  it('caps maxEvents, keeps 0 (acknowledge only) and de-duplicates acks', () => {
    expect(planPoll({ maxEvents: 10 ** 6 }).maxEvents).toBe(POLL_MAX_EVENTS);
    expect(planPoll({ maxEvents: 0, ack: ['a', 'b', 'a'] })).toMatchObject({
      maxEvents: 0,
      ack: ['a', 'b'],
    });
  });

  it('reads setErrs as jti → {err, description}', () => {
    const plan = planPoll({
      setErrs: { j1: { err: 'jwtAud', description: 'wrong aud' }, j2: { err: 'invalid_key' } },
    });
    expect([...plan.setErrs]).toEqual([
      ['j1', { err: 'jwtAud', description: 'wrong aud' }],
      ['j2', { err: 'invalid_key', description: '' }],
    ]);
  });

  it.each([
    [{ setErrs: { j1: 'nope' } }],
    [{ setErrs: { j1: { description: 'no code' } } }],
    [{ setErrs: { j1: { err: 'bad code!' } } }],
    [{ setErrs: { j1: { err: 'x', description: 7 } } }],
    [{ ack: ['j1'], setErrs: { j1: { err: 'x' } } }],
  ])('refuses a malformed or contradictory request: %j', (input) => {
    expect(() => planPoll(input as Parameters<typeof planPoll>[0])).toThrow(AppException);
  });
});
