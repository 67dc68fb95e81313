import { publisherApi } from '../../api/publisher.ts';
import type { PublisherApi } from '../../api/types.ts';
import { h } from '../../components/dom.ts';
import { empty, onSubmit } from '../../components/feedback.ts';

/**
 * Which external key managers' tokens the API accepts besides Turnpike's own (WSO2's per-API key
 * managers). Live: saved, it reaches every environment the API is deployed to, no revision needed.
 */
export async function keyManagersTab(api: PublisherApi, reload: () => Promise<void>): Promise<HTMLElement> {
  const [{ list }, { keyManagers }] = await Promise.all([publisherApi.keyManagers(), publisherApi.apiKeyManagers(api.id)]);
  if (list.length === 0)
    return empty(
      'No external key managers are registered: the API accepts Turnpike’s own tokens and API keys. An admin registers identity providers under Administration → Key managers.',
    );
  const boxes = list.map((k) => h('input', { type: 'checkbox', value: k.name, checked: keyManagers.includes(k.name) }));
  const submit = h('button', { type: 'submit' }, 'Save key managers');
  const out = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'card', id: 'key-managers-form' },
    h(
      'p',
      {},
      'Turnpike’s own Key Manager is always accepted. Tokens of the providers ticked here are accepted too, each counted as the application its client is mapped to.',
    ),
    h(
      'fieldset',
      { 'data-pointer': '/keyManagers' },
      h('legend', {}, 'External key managers'),
      ...boxes.map((b, i) =>
        h(
          'label',
          { class: 'check' },
          b,
          ` ${list[i]?.displayName ?? ''} `,
          h('code', {}, list[i]?.issuer ?? ''),
          (list[i]?.environments.length ?? 0) === 0 ? '' : ` (only in ${list[i]?.environments.join(', ') ?? ''})`,
        ),
      ),
    ),
    h('p', { class: 'hint' }, 'Takes effect at once on every environment the API is deployed to.'),
    submit,
    out,
  );
  onSubmit(form, submit, out, async () => {
    await publisherApi.setApiKeyManagers(
      api.id,
      boxes.filter((b) => b.checked).map((b) => b.value),
    );
    await reload();
  });
  return form;
}
