import { adminApi } from '../../api/admin.ts';
import type { SigningKey } from '../../api/types.ts';
import { h } from '../../components/dom.ts';
import { actionButton, confirmButton } from '../../components/feedback.ts';
import { render as reloadAdmin } from '../../router.ts';

const when = (ms: number | null) => (ms === null ? '' : new Date(ms).toLocaleString());

const STATUS_TEXT: Record<SigningKey['status'], string> = {
  PUBLISHED: 'published, not signing yet',
  ACTIVE: 'signing',
  PREVIOUS: 'verifying until its tokens expire',
  RETIRED: 'retired',
};

/**
 * The Key Manager's token-signing keys and their rotation (decision 0038): add a key (published in
 * the JWKS and every gateway snapshot), activate it once verifiers have had time to fetch it, and
 * the previous one retires by itself once what it signed has expired.
 */
export async function signingKeysTab(): Promise<HTMLElement> {
  const { list } = await adminApi.signingKeys();
  const out = h('div', {});
  const add = actionButton('Add a signing key', { class: 'secondary', 'data-action': 'add-signing-key' }, out, async () => {
    await adminApi.addSigningKey();
    await reloadAdmin();
  });
  return h(
    'div',
    { class: 'stack' },
    h(
      'p',
      { class: 'hint' },
      'A new key is published first (JWKS and every gateway environment) and may sign only after the publish delay, so no verifier meets a key it does not know. The key it replaces keeps verifying until every token it signed has expired, then retires by itself.',
    ),
    h(
      'table',
      { id: 'signing-keys' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, 'Key id'),
          h('th', {}, 'Status'),
          h('th', {}, 'Origin'),
          h('th', {}, 'Added'),
          h('th', {}, 'Retires'),
          h('th', {}, ''),
        ),
      ),
      h('tbody', {}, ...list.map(row)),
    ),
    h('p', {}, add),
    out,
  );
}

function row(k: SigningKey): HTMLElement {
  const out = h('div', {});
  const actions: Array<Node> = [];
  if (k.status === 'PUBLISHED') {
    actions.push(
      k.publishable
        ? actionButton('Activate', { class: 'small', 'data-action': 'activate-signing-key' }, out, async () => {
            await adminApi.activateSigningKey(k.kid);
            await reloadAdmin();
          })
        : h('span', { class: 'muted' }, 'publishing…'),
    );
  }
  if (k.status === 'PUBLISHED' || k.status === 'PREVIOUS') {
    const early = k.status === 'PREVIOUS' && (k.retireAfter ?? 0) > Date.now();
    actions.push(
      confirmButton(
        'Retire',
        { class: 'danger small', 'data-action': 'retire-signing-key' },
        out,
        {
          consequence: early
            ? `Tokens signed by ${k.kid} are still valid until ${when(k.retireAfter)}; retiring it now refuses them at once (for a leaked key).`
            : `${k.kid} leaves the JWKS and every gateway snapshot; its private half is erased.`,
          confirm: `Retire ${k.kid}`,
        },
        async () => {
          await adminApi.retireSigningKey(k.kid, { immediately: early });
          await reloadAdmin();
        },
      ),
    );
  }
  return h(
    'tr',
    { 'data-kid': k.kid, 'data-status': k.status },
    h('td', {}, h('code', {}, k.kid)),
    h('td', {}, STATUS_TEXT[k.status]),
    h('td', {}, k.origin === 'SECRET' ? 'SIGNING_KEYS secret' : 'added here'),
    h('td', {}, when(k.createdAt)),
    h('td', {}, k.status === 'PREVIOUS' ? when(k.retireAfter) : when(k.retiredAt)),
    h('td', {}, ...actions, out),
  );
}
