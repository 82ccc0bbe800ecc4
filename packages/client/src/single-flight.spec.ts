import { SingleFlight } from './single-flight';

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('SingleFlight', () => {
  it('runs one operation for callers that arrive while it is in flight', async () => {
    const sut = new SingleFlight<number>();
    const gate = deferred<number>();
    let runs = 0;
    const operation = () => {
      runs += 1;
      return gate.promise;
    };
    const calls = Array.from({ length: 50 }, () => sut.run(operation));
    gate.resolve(7);
    expect(await Promise.all(calls)).toEqual(Array(50).fill(7));
    expect(runs).toBe(1);
  });

  it('shares a failure with every waiter, then lets the next call start afresh', async () => {
    const sut = new SingleFlight<number>();
    const failing = Promise.reject(new Error('refresh failed'));
    failing.catch(() => undefined);
    const calls = [sut.run(() => failing), sut.run(() => Promise.resolve(1))];
    for (const call of calls) await expect(call).rejects.toThrow('refresh failed');
    expect(sut.busy).toBe(false);
    await expect(sut.run(() => Promise.resolve(2))).resolves.toBe(2);
  });
});
