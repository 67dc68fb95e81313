import { devportalApi } from '../../api/devportal.ts';
import type { Application, KeyType, Keys } from '../../api/types.ts';
import { publicGatewayUrl } from '../../config.ts';
import { h, mount } from '../../components/dom.ts';
import { actionButton, busy, confirmButton, errorBox } from '../../components/feedback.ts';
import { codeBlock, shownOnce } from '../../components/secret.ts';

const KEY_TYPES: KeyType[] = ['PRODUCTION', 'SANDBOX'];

/** OAuth2 client credentials per key type, secrets shown once, and "generate a test token". */
export async function keysSection(app: Application): Promise<HTMLElement> {
  const [{ list }, gateway] = await Promise.all([devportalApi.keys(app.id), publicGatewayUrl()]);
  return h(
    'section',
    { class: 'keys' },
    h('h3', {}, 'OAuth2 keys'),
    ...KEY_TYPES.map((t) =>
      keyBlock(
        app,
        t,
        list.find((k) => k.keyType === t),
        gateway,
      ),
    ),
  );
}

function keyBlock(app: Application, keyType: KeyType, keys: Keys | undefined, gateway: string): HTMLElement {
  const lower = keyType.toLowerCase();
  const secretBox = h('div', {});
  const box = h('div', { class: 'key-block', 'data-key-type': keyType });
  if (keys === undefined) {
    const generate = actionButton(`Generate ${lower} keys`, { class: 'secondary' }, secretBox, async () => {
      const created = await devportalApi.generateKeys(app.id, keyType);
      // The keys exist now: the block becomes the one with the test token and the curl line, at once.
      const stored = (await devportalApi.keys(app.id)).list.find((k) => k.keyType === keyType);
      const next = keyBlock(app, keyType, stored, gateway);
      next
        .querySelector('[data-secret-slot]')
        ?.append(shownOnce('client_secret', created.consumerSecret, [h('p', {}, 'client_id ', h('code', {}, created.consumerKey))]));
      box.replaceWith(next);
    });
    mount(box, h('h4', {}, keyType), h('p', { class: 'muted' }, `No ${lower} keys yet.`), generate, secretBox);
    return box;
  }
  secretBox.setAttribute('data-secret-slot', '');
  const regenerate = confirmButton(
    'Regenerate secret',
    { class: 'secondary small', 'data-action': 'regenerate-secret' },
    secretBox,
    {
      consequence: 'The current secret stops working at once: callers that get tokens with it fail until they use the new one.',
      confirm: 'Regenerate the secret',
    },
    async () => {
      const created = await devportalApi.regenerateSecret(app.id, keyType);
      mount(
        secretBox,
        shownOnce('client_secret', created.consumerSecret, [h('p', {}, 'Tokens issued with the old secret stopped working.')]),
      );
    },
  );
  mount(
    box,
    h('h4', {}, keyType),
    h(
      'p',
      {},
      `${keyType === 'PRODUCTION' ? 'Production' : 'Sandbox'} client_id `,
      h('code', {}, keys.consumerKey),
      ` (secret ${keys.secretPrefix}…) `,
      regenerate,
    ),
    secretBox,
    codeBlock(`curl -u '${keys.consumerKey}:<secret>' -d grant_type=client_credentials ${gateway}/oauth2/token`),
    testTokenForm(app, keyType, gateway),
  );
  return box;
}

function testTokenForm(app: Application, keyType: KeyType, gateway: string): HTMLElement {
  const scopes = h('input', {
    placeholder: 'Scopes, space separated (optional)',
    'aria-label': `Scopes for the ${keyType.toLowerCase()} test token`,
    'data-field': 'scopes',
  });
  const out = h('div', { 'aria-live': 'polite' });
  const button = h(
    'button',
    { type: 'submit', class: 'secondary', 'data-action': keyType === 'PRODUCTION' ? 'test-token' : 'test-token-sandbox' },
    'Generate a test token',
  );
  const form = h('form', { class: 'inline' }, scopes, button);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void busy(button, async () => {
      try {
        const t = await devportalApi.testToken(app.id, keyType, scopes.value.trim());
        const subs = (await devportalApi.subscriptions(app.id)).list;
        const first = subs[0];
        mount(
          out,
          h('p', {}, `Access token (valid ${Math.round(t.expiresIn / 60)} minutes${t.scope === '' ? '' : `, scopes: ${t.scope}`}):`),
          codeBlock(t.accessToken, keyType === 'PRODUCTION' ? { id: 'test-token' } : {}),
          first === undefined
            ? h('p', { class: 'hint' }, 'Subscribe this application to an API to call it with this token.')
            : codeBlock(`curl -H "Authorization: Bearer ${t.accessToken}" ${gateway}${first.apiContext}/${first.apiVersion}/<resource>`),
        );
      } catch (err) {
        mount(out, errorBox(err));
      }
    });
  });
  return h('div', {}, form, out);
}
