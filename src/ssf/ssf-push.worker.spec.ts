import { classifyPushAnswer } from './ssf-push.worker';

describe('classifyPushAnswer (RFC 8935 §2.2–2.4)', () => {
  it('takes any 2xx as delivered', () => {
    expect(classifyPushAnswer(202, '')).toEqual({ kind: 'delivered', statusCode: 202 });
    expect(classifyPushAnswer(200, 'ok')).toEqual({ kind: 'delivered', statusCode: 200 });
  });

  it("refuses for good on 400, keeping the receiver's err and description", () => {
    expect(
      classifyPushAnswer(400, JSON.stringify({ err: 'invalid_issuer', description: 'who?' })),
    ).toEqual({ kind: 'refused', statusCode: 400, error: 'invalid_issuer: who?' });
    expect(classifyPushAnswer(400, 'not json')).toEqual({
      kind: 'refused',
      statusCode: 400,
      error: 'HTTP 400',
    });
  });

  it('retries anything else', () => {
    for (const status of [401, 404, 429, 500, 503])
      expect(classifyPushAnswer(status, '')).toMatchObject({ kind: 'retry', statusCode: status });
  });
});
