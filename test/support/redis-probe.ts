import { connect } from 'node:net';

/** Whether a Redis answers PING on 127.0.0.1:6379 within a second (tests use it when it does). */
export function redisAnswers(): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(6379, '127.0.0.1');
    const finish = (ok: boolean): void => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(1000, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (chunk) => finish(chunk.toString().startsWith('+PONG')));
  });
}
