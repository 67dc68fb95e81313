import { publisherApi } from '../../api/publisher.ts';
import type { PublisherApi, UpdateApi } from '../../api/types.ts';
import { h, mount } from '../../components/dom.ts';
import { onSubmit } from '../../components/feedback.ts';

type ResourceInput = NonNullable<UpdateApi['resources']>[number];
type AuthType = NonNullable<ResourceInput['authType']>;
const AUTH: Array<[AuthType, string]> = [
  ['oauth2_or_api_key', 'OAuth2 or API key'],
  ['oauth2', 'OAuth2 only'],
  ['api_key', 'API key only'],
  ['none', 'Open (no credential)'],
];
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

/** The resources table: method, path template, security, scopes and a resource policy per row. */
export async function resourcesTab(api: PublisherApi, reload: () => Promise<void>): Promise<HTMLElement> {
  const { list: policies } = await publisherApi.policies('advanced');
  const tbody = h('tbody', {});
  const addRow = (r?: PublisherApi['resources'][number]) => {
    const i = tbody.children.length;
    const method = h(
      'select',
      { 'aria-label': 'Method', 'data-pointer': `/resources/${i}/method` },
      ...METHODS.map((m) => h('option', { value: m, selected: m === r?.method }, m)),
    );
    const path = h('input', {
      value: r?.path ?? '/',
      'aria-label': 'Path template',
      'data-pointer': `/resources/${i}/path`,
      required: true,
    });
    const auth = h(
      'select',
      { 'aria-label': 'Security', 'data-pointer': `/resources/${i}/authType` },
      ...AUTH.map(([v, label]) => h('option', { value: v, selected: v === (r?.authType ?? 'oauth2_or_api_key') }, label)),
    );
    const scopes = h('input', {
      value: (r?.scopes ?? []).join(' '),
      placeholder: 'space separated',
      'aria-label': 'Scopes',
      'data-pointer': `/resources/${i}/scopes`,
    });
    const policy = h(
      'select',
      { 'aria-label': 'Resource policy', 'data-pointer': `/resources/${i}/throttlingPolicy` },
      h('option', { value: '' }, 'API default'),
      ...policies.map((p) => h('option', { value: p.name, selected: p.name === r?.throttlingPolicy }, p.displayName)),
    );
    const row = h(
      'tr',
      { class: 'resource-row' },
      h('td', { 'data-label': 'Method' }, method),
      h('td', { 'data-label': 'Path' }, path),
      h('td', { 'data-label': 'Security' }, auth),
      h('td', { 'data-label': 'Scopes' }, scopes),
      h('td', { 'data-label': 'Policy' }, policy),
      h(
        'td',
        {},
        h('button', { type: 'button', class: 'danger small', 'aria-label': 'Remove resource', onclick: () => row.remove() }, 'Remove'),
      ),
    );
    tbody.append(row);
    return path;
  };
  api.resources.forEach((r) => addRow(r));
  const submit = h('button', { type: 'submit' }, 'Save resources');
  const out = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { id: 'resources-form' },
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, 'Method'),
          h('th', {}, 'Path'),
          h('th', {}, 'Security'),
          h('th', {}, 'Scopes'),
          h('th', {}, 'Resource policy'),
          h('th', {}, ''),
        ),
      ),
      tbody,
    ),
    h(
      'div',
      { class: 'toolbar' },
      h('button', { type: 'button', class: 'secondary', onclick: () => addRow().focus() }, 'Add resource'),
      submit,
    ),
    out,
  );
  onSubmit(form, submit, out, async () => {
    const resources: ResourceInput[] = [...tbody.querySelectorAll('tr')].map((tr) => {
      const [method, auth, policy] = [...tr.querySelectorAll('select')].map((s) => s.value);
      const [path, scopes] = [...tr.querySelectorAll('input')].map((s) => s.value);
      return {
        method: method ?? 'GET',
        path: path ?? '/',
        authType: (auth ?? 'oauth2_or_api_key') as AuthType,
        scopes: (scopes ?? '').split(/\s+/).filter((s) => s !== ''),
        throttlingPolicy: policy === '' || policy === undefined ? null : policy,
      };
    });
    await publisherApi.update(api.id, { resources });
    await reload();
  });
  if (api.resources.length === 0)
    mount(out, h('p', { class: 'empty' }, 'No resources yet: add one per method and path the gateway should accept.'));
  return form;
}
