import { publisherApi } from '../../api/publisher.ts';
import type { Collaborator, PublisherApi } from '../../api/types.ts';
import { h } from '../../components/dom.ts';
import { actionButton, empty, field, onSubmit } from '../../components/feedback.ts';
import { user } from '../../session.ts';

/**
 * Other publishers the API is shared with: they read and change it as if it were theirs. Only the
 * provider or an admin shares it (the control plane refuses anyone else), so others see the list only.
 */
export async function collaboratorsTab(api: PublisherApi, reload: () => Promise<void>): Promise<HTMLElement> {
  const { list } = await publisherApi.collaborators(api.id);
  const me = user()?.user;
  const owner = me !== undefined && (me.role === 'admin' || me.id === api.providerId);
  const table =
    list.length === 0
      ? empty(owner ? 'Only you manage this API. Share it with another publisher by email below.' : 'Nobody else manages this API.')
      : h(
          'table',
          { id: 'collaborators' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Email'), h('th', {}, ''))),
          h('tbody', {}, ...list.map((c) => row(api, c, owner, reload))),
        );
  if (!owner) return h('div', { class: 'stack' }, table, h('p', { class: 'hint' }, "Only the API's provider or an admin shares it."));
  const email = h('input', {
    type: 'email',
    required: true,
    autocomplete: 'off',
    placeholder: 'publisher@example.com',
    'data-pointer': '/email',
    id: 'collaborator-email',
  });
  const submit = h('button', { type: 'submit' }, 'Share');
  const out = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'card', id: 'collaborator-form' },
    h('h2', {}, 'Share with a publisher'),
    field('Email', email, 'An active publisher; they may then change, deploy and publish this API, but not share it further.'),
    submit,
    out,
  );
  onSubmit(form, submit, out, async () => {
    await publisherApi.addCollaborator(api.id, { email: email.value });
    await reload();
  });
  return h('div', { class: 'stack' }, table, form);
}

function row(api: PublisherApi, c: Collaborator, owner: boolean, reload: () => Promise<void>): HTMLElement {
  const out = h('div', {});
  const remove = actionButton(
    'Remove',
    { class: 'danger small', 'data-action': 'remove', 'aria-label': `Stop sharing with ${c.email}` },
    out,
    async () => {
      await publisherApi.removeCollaborator(api.id, c.userId);
      await reload();
    },
  );
  return h(
    'tr',
    { 'data-collaborator': c.email },
    h('td', { 'data-label': 'Name' }, c.displayName),
    h('td', { 'data-label': 'Email' }, c.email),
    h('td', {}, owner ? remove : null, out),
  );
}
