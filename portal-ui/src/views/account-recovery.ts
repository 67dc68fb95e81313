import { accountApi } from '../api/account.ts';
import { h, mount } from '../components/dom.ts';
import { field, onSubmit } from '../components/feedback.ts';
import { layout } from '../components/layout.ts';

/** `#/verify/:token`, the link of a sign-up mail: confirms the address once, then offers sign-in. */
export async function verifyView(params: Record<string, string>): Promise<void> {
  const out = h('div', { class: 'card narrow', id: 'verify-result', 'aria-live': 'polite' }, h('p', {}, 'Confirming your email address…'));
  layout('Confirm your email address', out);
  try {
    const verified = await accountApi.verifyEmail(params['token'] ?? '');
    mount(
      out,
      verified.status === 'ACTIVE'
        ? h(
            'p',
            { class: 'ok', role: 'status' },
            `${verified.email} is confirmed. `,
            h('a', { href: '#/signin', id: 'verify-signin' }, 'Sign in'),
            ' to create applications and subscribe to APIs.',
          )
        : h(
            'p',
            { class: 'warning', role: 'status' },
            `${verified.email} is confirmed. An admin approves new accounts; you can sign in once yours is approved.`,
          ),
    );
  } catch {
    mount(
      out,
      h(
        'p',
        { class: 'error', role: 'alert' },
        'This link is invalid, already used or expired. ',
        h('a', { href: '#/signin' }, 'Sign up again'),
        ' to get a new one, or ',
        h('a', { href: '#/forgot' }, 'reset your password'),
        ' if you already confirmed it.',
      ),
    );
  }
}

/** `#/forgot`: asks for a reset link; the answer never says whether the address has an account. */
export function forgotView(): void {
  const email = h('input', { id: 'forgot-email', type: 'email', autocomplete: 'email', required: true, 'data-pointer': '/email' });
  const out = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', id: 'forgot-submit' }, 'Send reset link');
  const form = h('form', { class: 'card narrow', 'aria-label': 'Reset your password' }, field('Email', email), submit, out);
  onSubmit(form, submit, out, async () => {
    const sent = await accountApi.forgotPassword({ email: email.value });
    mount(out, h('p', { class: 'ok', role: 'status', id: 'forgot-sent' }, sent.detail));
  });
  layout(
    'Forgot your password?',
    form,
    h('p', { class: 'hint' }, 'Locally, mails land in .turnpike/mail/ and their links are printed in the npm start log.'),
  );
}

/** `#/reset/:token`, the link of a reset mail: a new password, once; every session ends. */
export function resetView(params: Record<string, string>): void {
  const next = h('input', {
    id: 'reset-password',
    type: 'password',
    autocomplete: 'new-password',
    required: true,
    minlength: '12',
    'data-pointer': '/newPassword',
  });
  const out = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', id: 'reset-submit' }, 'Set new password');
  const form = h(
    'form',
    { class: 'card narrow', 'aria-label': 'Choose a new password' },
    field('New password (12 characters or more)', next),
    submit,
    out,
  );
  onSubmit(form, submit, out, async () => {
    await accountApi.resetPassword({ token: params['token'] ?? '', newPassword: next.value });
    form.reset();
    mount(
      out,
      h(
        'p',
        { class: 'ok', role: 'status', id: 'reset-done' },
        'Password changed and every session signed out. ',
        h('a', { href: '#/signin', id: 'reset-signin' }, 'Sign in'),
        ' with the new one.',
      ),
    );
  });
  layout('Choose a new password', form);
}
