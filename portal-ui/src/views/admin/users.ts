import { adminApi } from '../../api/admin.ts';
import type { User } from '../../api/types.ts';
import { badge } from '../../components/badges.ts';
import { ROLE_LABEL } from '../../components/roles.ts';
import { h } from '../../components/dom.ts';
import { field, onSubmit } from '../../components/feedback.ts';
import { render as reloadAdmin } from '../../router.ts';

const ROLES: Array<[User['role'], string]> = (['developer', 'publisher', 'admin'] as const).map((r) => [r, ROLE_LABEL[r]]);

/** Users with their roles and status; an admin adds users with a role. */
export async function usersTab(): Promise<HTMLElement> {
  const { list } = await adminApi.users();
  const email = h('input', { type: 'email', required: true, 'data-pointer': '/email' });
  const displayName = h('input', { required: true, 'data-pointer': '/displayName' });
  const password = h('input', {
    type: 'password',
    required: true,
    minlength: '12',
    autocomplete: 'new-password',
    'data-pointer': '/password',
  });
  const role = h('select', { 'data-pointer': '/role' }, ...ROLES.map(([r, label]) => h('option', { value: r }, label)));
  const submit = h('button', { type: 'submit' }, 'Add user');
  const out = h('div', {});
  const form = h(
    'form',
    { class: 'card', id: 'user-form' },
    h('h2', {}, 'New user'),
    h(
      'div',
      { class: 'columns' },
      field('Email', email),
      field('Name', displayName),
      field('Initial password', password),
      field('Role', role),
    ),
    submit,
    out,
  );
  onSubmit(form, submit, out, async () => {
    await adminApi.createUser({
      email: email.value,
      displayName: displayName.value,
      password: password.value,
      role: role.value as User['role'],
    });
    await reloadAdmin();
  });
  return h(
    'div',
    { class: 'stack' },
    h(
      'table',
      { id: 'users' },
      h('thead', {}, h('tr', {}, h('th', {}, 'User'), h('th', {}, 'Role'), h('th', {}, 'Status'), h('th', {}, 'Since'))),
      h(
        'tbody',
        {},
        ...list.map((u) =>
          h(
            'tr',
            {},
            h('td', { 'data-label': 'User' }, h('strong', {}, u.displayName), h('div', { class: 'muted' }, u.email)),
            h('td', { 'data-label': 'Role' }, ROLE_LABEL[u.role]),
            h('td', { 'data-label': 'Status' }, badge(u.status)),
            h('td', { 'data-label': 'Since' }, new Date(u.createdAt).toLocaleDateString()),
          ),
        ),
      ),
    ),
    form,
  );
}
