import {
  createTesseraClient,
  TesseraError,
  type Device,
  type LoginResult,
  type Session,
} from '@tessera/client';
import { formValue, h, when } from './dom';
import { followSessionEvents, type LiveCursor } from './live';
import { resetView } from './reset';

const client = createTesseraClient({ baseUrl: location.origin, transport: 'cookie' });
const root = document.getElementById('app') as HTMLElement;

let stopLive: (() => void) | undefined;
let currentSessionId: string | undefined;
/** Where the event stream resumes after it ends (kept across reconnects of one session). */
let liveCursor: LiveCursor = {};

function show(...children: Node[]): void {
  root.replaceChildren(...children);
}

function describe(error: unknown): string {
  if (error instanceof TesseraError) return error.message || error.code;
  return 'Something went wrong. Try again.';
}

function errorLine(message: string): HTMLElement {
  return h('p', { class: 'error', role: 'alert' }, message);
}

function signedOut(message?: string): void {
  delete root.dataset.live;
  stopLive?.();
  stopLive = undefined;
  currentSessionId = undefined;
  const form = h(
    'form',
    { class: 'sign-in', onsubmit: (event) => void signIn(event) },
    h(
      'label',
      {},
      'Email ',
      h('input', { name: 'email', type: 'email', required: true, autocomplete: 'username' }),
    ),
    h(
      'label',
      {},
      'Password ',
      h('input', {
        name: 'password',
        type: 'password',
        required: true,
        autocomplete: 'current-password',
      }),
    ),
    h('label', {}, h('input', { name: 'rememberMe', type: 'checkbox' }), ' Keep me signed in'),
    h('button', { type: 'submit' }, 'Sign in'),
  );
  show(
    h(
      'section',
      { 'data-testid': 'signed-out' },
      h('h1', {}, 'Sign in'),
      message ? h('p', { role: 'status' }, message) : null,
      form,
    ),
  );
}

async function signIn(event: Event): Promise<void> {
  event.preventDefault();
  const form = event.currentTarget as HTMLFormElement;
  try {
    const result = await client.login({
      email: formValue(form, 'email'),
      password: formValue(form, 'password'),
      rememberMe: formValue(form, 'rememberMe') === 'on',
    });
    await afterLogin(result);
  } catch (error) {
    form.append(errorLine(describe(error)));
  }
}

async function afterLogin(result: LoginResult): Promise<void> {
  if (result.status === 'signed_in') return account();
  const methods = result.methods.filter((m) => m === 'totp' || m === 'recovery_code');
  const form = h(
    'form',
    {
      class: 'sign-in',
      onsubmit: (event) => {
        event.preventDefault();
        const code = formValue(form, 'code').trim();
        const method = /^\d{6}$/.test(code) ? 'totp' : 'recovery_code';
        client
          .verifyMfa({ mfaToken: result.mfaToken, method, code })
          .then(afterLogin)
          .catch((error: unknown) => form.append(errorLine(describe(error))));
      },
    },
    h(
      'label',
      {},
      'Code from your authenticator app',
      methods.includes('recovery_code') ? ' (or a recovery code)' : '',
      h('input', {
        name: 'code',
        required: true,
        autocomplete: 'one-time-code',
        inputmode: 'text',
      }),
    ),
    h('button', { type: 'submit' }, 'Verify'),
  );
  show(h('section', { 'data-testid': 'mfa' }, h('h1', {}, 'Second step'), form));
}

/** Runs an action, then redraws; errors show under the heading. */
function action(run: () => Promise<unknown>): () => void {
  return () => {
    run()
      .then(() => account())
      .catch((error: unknown) => root.prepend(errorLine(describe(error))));
  };
}

/** Sign out (here or everywhere), then show the sign-in form; a failure shows at the top. */
function signOutVia(run: () => Promise<void>): () => void {
  return () => {
    run()
      .then(() => signedOut('You are signed out.'))
      .catch((error: unknown) => root.prepend(errorLine(describe(error))));
  };
}

function deviceLabel(session: Session): string {
  const device = session.device;
  if (!device) return session.userAgent ?? 'Unknown device';
  return [device.name, device.os, device.browser].filter(Boolean).join(' · ');
}

function sessionItem(session: Session): HTMLElement {
  return h(
    'li',
    {
      'data-testid': 'session',
      'data-session-id': session.id,
      'data-current': String(session.current),
    },
    h('strong', {}, deviceLabel(session)),
    ' ',
    session.current ? h('span', { class: 'badge' }, 'This device') : null,
    h(
      'div',
      { class: 'meta' },
      `Signed in ${when(session.createdAt)} · last active ${when(session.lastActiveAt)}`,
      session.ip ? ` · ${session.ip}` : '',
    ),
    h(
      'div',
      { class: 'actions' },
      session.current
        ? h(
            'button',
            {
              type: 'button',
              'data-testid': 'sign-out',
              onclick: signOutVia(() => client.logout()),
            },
            'Sign out',
          )
        : h(
            'button',
            {
              type: 'button',
              'data-testid': 'revoke-session',
              onclick: action(() => client.sessions.revoke(session.id)),
            },
            'Sign out this session',
          ),
    ),
  );
}

function deviceItem(device: Device, current: boolean): HTMLElement {
  const name = h('input', {
    name: 'device-name',
    value: device.name,
    maxlength: '100',
    'aria-label': 'Device name',
  });
  return h(
    'li',
    {
      'data-testid': 'device',
      'data-device-id': device.id,
      'data-current': String(current),
      'data-trusted': String(device.trusted),
    },
    h('strong', {}, device.name),
    ' ',
    current ? h('span', { class: 'badge' }, 'This device') : null,
    ' ',
    device.trusted ? h('span', { class: 'badge' }, 'Trusted') : null,
    h(
      'div',
      { class: 'meta' },
      [device.os, device.browser].filter(Boolean).join(' · '),
      ` · ${device.activeSessions} active session(s) · last seen ${when(device.lastSeenAt)}`,
    ),
    h(
      'div',
      { class: 'actions' },
      name,
      h(
        'button',
        {
          type: 'button',
          'data-testid': 'rename-device',
          onclick: action(() => client.devices.rename(device.id, name.value)),
        },
        'Rename',
      ),
      device.trusted
        ? h(
            'button',
            {
              type: 'button',
              'data-testid': 'untrust-device',
              onclick: action(() => client.devices.untrust(device.id)),
            },
            'Stop trusting',
          )
        : h(
            'button',
            {
              type: 'button',
              'data-testid': 'trust-device',
              onclick: action(() => client.devices.trust(device.id)),
            },
            'Trust',
          ),
      h(
        'button',
        {
          type: 'button',
          'data-testid': 'forget-device',
          onclick: action(() => client.devices.forget(device.id)),
        },
        'Forget',
      ),
    ),
  );
}

let redraw: ReturnType<typeof setTimeout> | undefined;

/** Coalesces bursts of live events into one reload. */
function redrawSoon(): void {
  clearTimeout(redraw);
  redraw = setTimeout(() => void account(), 100);
}

function follow(sessionId: string, reconnect = false): void {
  if (stopLive && currentSessionId === sessionId) return;
  stopLive?.();
  if (currentSessionId !== sessionId) liveCursor = {};
  currentSessionId = sessionId;
  delete root.dataset.live;
  const resumingFrom = liveCursor.lastEventId;
  stopLive = followSessionEvents(sessionId, liveCursor, {
    ready: (resumed) => {
      // A stable hook for tests and a hint for people: live updates are on.
      root.dataset.live = 'ready';
      // After a gap, redraw from the server as well (the replay covers lifecycle events only).
      // A stream that could not resume says so with stream.reset, which redraws as a change.
      if (resumed || (reconnect && resumingFrom === undefined)) redrawSoon();
    },
    ended: () => signedOut('This session was signed out from another device.'),
    changed: redrawSoon,
    closed: () => {
      stopLive = undefined;
      delete root.dataset.live;
      // me() refreshes an expired access token (or learns the session is over); the new stream
      // resumes after the last event seen (Last-Event-ID).
      client
        .me()
        .then(() => follow(sessionId, true))
        .catch((error: unknown) => {
          if (error instanceof TesseraError && error.status === 401) return signedOut();
          // Offline or the server is away: try again shortly, still from the same event.
          setTimeout(() => currentSessionId === sessionId && follow(sessionId, true), 3_000);
        });
    },
  });
}

async function account(): Promise<void> {
  let me;
  let sessions: Session[];
  let devices: Device[];
  try {
    [me, sessions, devices] = await Promise.all([
      client.me(),
      client.sessions.list(),
      client.devices.list(),
    ]);
  } catch (error) {
    return signedOut(
      error instanceof TesseraError && error.status === 401 ? undefined : describe(error),
    );
  }
  follow(me.session.id);
  sessions.sort((a, b) => Number(b.current) - Number(a.current));
  show(
    h('h1', {}, 'Account security'),
    h('p', { 'data-testid': 'user' }, `Signed in as ${me.user.email}`),
    h(
      'section',
      {},
      h('h2', {}, 'Sessions'),
      h('ul', { class: 'cards' }, ...sessions.map(sessionItem)),
      h(
        'div',
        { class: 'actions' },
        h(
          'button',
          {
            type: 'button',
            'data-testid': 'revoke-others',
            onclick: action(() => client.sessions.revokeOthers()),
          },
          'Sign out all other sessions',
        ),
        h(
          'button',
          {
            type: 'button',
            'data-testid': 'sign-out-all',
            onclick: signOutVia(() => client.logoutAll()),
          },
          'Sign out everywhere',
        ),
      ),
    ),
    h(
      'section',
      {},
      h('h2', {}, 'Devices'),
      h(
        'ul',
        { class: 'cards' },
        ...devices.map((d) => deviceItem(d, d.id === me.session.device?.id)),
      ),
    ),
  );
}

client.on('signedOut', () => signedOut());

/** The page's views: /account/reset (the reset email's link), else the account (or sign-in). */
if (/\/account\/reset\/?$/.test(location.pathname)) {
  resetView(root, () => {
    // The reset view is done: the address becomes the account page's own again.
    history.replaceState(null, '', '/account/');
    signedOut('Your new password is set. Sign in with it.');
  });
} else {
  void account();
}
