import { formValue, h } from './dom';

/** The reset token from the link's fragment (#token=…), which browsers never send to a server. */
function takeTokenFromFragment(): string | undefined {
  const token = new URLSearchParams(location.hash.slice(1)).get('token') ?? undefined;
  // Out of the address bar and the history, so it is not left behind for the next person.
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  return token || undefined;
}

/** The problem's detail (RFC 9457) when the answer has one, else its title or a fallback. */
async function problemText(response: Response): Promise<string> {
  try {
    const problem = (await response.json()) as { detail?: unknown; title?: unknown };
    if (typeof problem.detail === 'string' && problem.detail) return problem.detail;
    if (typeof problem.title === 'string' && problem.title) return problem.title;
  } catch {
    // Not JSON: fall through.
  }
  return `The password could not be set (${response.status}).`;
}

/** POST /auth/password/reset; public, so no cookie or CSRF token goes along. */
async function resetPassword(token: string, newPassword: string): Promise<string | undefined> {
  const response = await fetch('/auth/password/reset', {
    method: 'POST',
    credentials: 'omit',
    headers: { 'Content-Type': 'application/json', Accept: 'application/problem+json' },
    body: JSON.stringify({ token, newPassword }),
  });
  return response.ok ? undefined : problemText(response);
}

function errorLine(message: string): HTMLElement {
  return h('p', { class: 'error', role: 'alert' }, message);
}

function passwordField(label: string, name: string): HTMLElement {
  return h(
    'label',
    {},
    label,
    h('input', {
      name,
      type: 'password',
      required: true,
      minlength: '8',
      maxlength: '128',
      autocomplete: 'new-password',
    }),
  );
}

/**
 * /account/reset, the password reset email's link: a new password, twice. `done` runs once the
 * password is set (the page then offers sign-in).
 */
export function resetView(root: HTMLElement, done: () => void): void {
  const token = takeTokenFromFragment();
  if (!token) {
    root.replaceChildren(
      h(
        'section',
        { 'data-testid': 'reset' },
        h('h1', {}, 'Choose a new password'),
        errorLine('This link has no reset token. Ask for a new password reset email.'),
        h('a', { href: '/account/' }, 'Sign in'),
      ),
    );
    return;
  }
  const form = h(
    'form',
    {
      class: 'sign-in',
      onsubmit: (event) => {
        event.preventDefault();
        form.querySelectorAll('.error').forEach((line) => line.remove());
        const newPassword = formValue(form, 'newPassword');
        if (newPassword !== formValue(form, 'confirmPassword')) {
          form.append(errorLine('The two passwords differ.'));
          return;
        }
        resetPassword(token, newPassword)
          .then((problem) => (problem ? form.append(errorLine(problem)) : done()))
          .catch(() => form.append(errorLine('Something went wrong. Try again.')));
      },
    },
    passwordField('New password ', 'newPassword'),
    passwordField('New password again ', 'confirmPassword'),
    h('button', { type: 'submit' }, 'Set password'),
  );
  root.replaceChildren(
    h(
      'section',
      { 'data-testid': 'reset' },
      h('h1', {}, 'Choose a new password'),
      form,
      h('p', {}, h('a', { href: '/account/' }, 'Back to sign-in')),
    ),
  );
}
