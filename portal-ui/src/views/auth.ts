import { accountApi } from '../api/account.ts';
import { authApi } from '../api/devportal.ts';
import { tags } from '../components/badges.ts';
import { ROLE_LABEL } from '../components/roles.ts';
import { h, mount } from '../components/dom.ts';
import { field, onSubmit } from '../components/feedback.ts';
import { layout } from '../components/layout.ts';
import { navigate } from '../router.ts';
import { afterSignIn, refreshUser, user } from '../session.ts';
import { ssoButtons } from './sso-buttons.ts';

export function loginView(): void {
  const email = h('input', { id: 'email', type: 'email', autocomplete: 'username', required: true, 'data-pointer': '/email' });
  const password = h('input', {
    id: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
    'data-pointer': '/password',
  });
  const out = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', id: 'login' }, 'Sign in');
  const form = h(
    'form',
    { class: 'card narrow', 'aria-label': 'Sign in' },
    field('Email', email),
    field('Password', password),
    submit,
    h('p', {}, h('a', { href: '#/forgot', id: 'forgot-link' }, 'Forgot your password?')),
    out,
    ssoButtons(afterSignIn().slice(1)),
  );
  onSubmit(form, submit, out, async () => {
    await authApi.login(email.value, password.value);
    await refreshUser();
    navigate(afterSignIn());
  });
  layout(
    'Sign in',
    h('div', { class: 'columns' }, form, signupForm()),
    h('p', { class: 'hint' }, 'The demo users and their passwords are printed by npm start.'),
  );
}

function signupForm(): HTMLElement {
  const name = h('input', { id: 'signup-name', autocomplete: 'name', required: true, 'data-pointer': '/displayName' });
  const email = h('input', { id: 'signup-email', type: 'email', autocomplete: 'email', required: true, 'data-pointer': '/email' });
  const password = h('input', {
    id: 'signup-password',
    type: 'password',
    autocomplete: 'new-password',
    required: true,
    minlength: '12',
    'data-pointer': '/password',
  });
  const out = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', id: 'signup' }, 'Create developer account');
  const form = h(
    'form',
    { class: 'card narrow', 'aria-label': 'Sign up' },
    h('h2', {}, 'New here?'),
    field('Name', name),
    field('Email', email),
    field('Password (12 characters or more)', password),
    submit,
    out,
  );
  onSubmit(form, submit, out, async () => {
    const sent = await accountApi.signup({ email: email.value, password: password.value, displayName: name.value });
    form.reset();
    mount(out, h('p', { class: 'ok', role: 'status', id: 'signup-sent' }, sent.detail));
  });
  return form;
}

export function accountView(): void {
  const me = user();
  if (me === null) return loginView();
  layout(
    'Your account',
    h(
      'dl',
      { class: 'card facts', id: 'account' },
      h('dt', {}, 'Name'),
      h('dd', { id: 'account-name' }, me.user.displayName),
      h('dt', {}, 'Email'),
      h('dd', {}, me.user.email),
      h('dt', {}, 'Role'),
      h('dd', {}, ROLE_LABEL[me.user.role]),
      h('dt', {}, 'Member since'),
      h('dd', {}, new Date(me.user.createdAt).toLocaleDateString()),
      h('dt', {}, 'Permissions'),
      h('dd', {}, tags(me.scopes)),
    ),
    h('div', { class: 'columns' }, renameForm(me.user.displayName), passwordForm()),
  );
}

function renameForm(current: string): HTMLElement {
  const name = h('input', {
    id: 'account-display-name',
    autocomplete: 'name',
    required: true,
    maxlength: '100',
    value: current,
    'data-pointer': '/displayName',
  });
  const out = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', id: 'account-rename' }, 'Save name');
  const form = h(
    'form',
    { class: 'card narrow', 'aria-label': 'Your name' },
    h('h2', {}, 'Your name'),
    field('Display name', name, 'Shown to publishers on ratings and to admins.'),
    submit,
    out,
  );
  onSubmit(form, submit, out, async () => {
    await authApi.rename({ displayName: name.value });
    await refreshUser();
    accountView();
  });
  return form;
}

function passwordForm(): HTMLElement {
  const current = h('input', {
    id: 'account-current-password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
    'data-pointer': '/currentPassword',
  });
  const next = h('input', {
    id: 'account-new-password',
    type: 'password',
    autocomplete: 'new-password',
    required: true,
    minlength: '12',
    'data-pointer': '/newPassword',
  });
  const out = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', id: 'account-password' }, 'Change password');
  const form = h(
    'form',
    { class: 'card narrow', 'aria-label': 'Change password' },
    h('h2', {}, 'Password'),
    field('Current password', current),
    field('New password (12 characters or more)', next),
    submit,
    out,
  );
  onSubmit(form, submit, out, async () => {
    await authApi.changePassword({ currentPassword: current.value, newPassword: next.value });
    form.reset();
    mount(out, h('p', { class: 'ok', role: 'status' }, 'Password changed. You stay signed in here; every other session was signed out.'));
  });
  return form;
}
