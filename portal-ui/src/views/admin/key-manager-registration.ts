import { keyManagerChoiceApi } from '../../api/key-manager-choice.ts';
import type { KeyManager } from '../../api/types.ts';
import { h } from '../../components/dom.ts';
import { onSubmit } from '../../components/feedback.ts';
import { render as reloadAdmin } from '../../router.ts';

/**
 * Whether developers may register clients at this provider from the portal (RFC 7591): the
 * provider's initial access token, stored sealed (decision 0052).
 */
export function registrationCell(k: KeyManager): HTMLElement | string {
  if (k.registrationEndpoint === null) return 'not offered by the provider';
  const token = h('input', {
    type: 'password',
    autocomplete: 'off',
    placeholder: k.hasRegistrationAccessToken ? 'Replace the initial access token' : 'Initial access token',
    'aria-label': 'Initial access token',
    'data-pointer': '/initialAccessToken',
  });
  const submit = h('button', { type: 'submit', class: 'secondary small' }, k.hasRegistrationAccessToken ? 'Replace' : 'Allow');
  const out = h('div', {});
  const form = h(
    'form',
    { class: 'inline', 'data-form': 'registration' },
    h('span', { class: 'muted' }, k.hasRegistrationAccessToken ? 'Developers may register clients. ' : 'Off. '),
    token,
    submit,
    k.hasRegistrationAccessToken
      ? h(
          'button',
          {
            type: 'button',
            class: 'danger small',
            'data-action': 'stop-registration',
            onclick: () => void keyManagerChoiceApi.setRegistration(k.id, null).then(() => reloadAdmin()),
          },
          'Stop',
        )
      : null,
    out,
  );
  onSubmit(form, submit, out, async () => {
    await keyManagerChoiceApi.setRegistration(k.id, token.value);
    await reloadAdmin();
  });
  return form;
}
