import { publisherApi } from '../../api/publisher.ts';
import type { ApiDocument, PublisherApi } from '../../api/types.ts';
import { h, mount } from '../../components/dom.ts';
import { actionButton, empty, field, onSubmit } from '../../components/feedback.ts';
import { markdown } from '../../components/markdown.ts';

const TYPES = ['HOWTO', 'SAMPLES', 'PUBLIC_FORUM', 'SUPPORT_FORUM', 'OTHER'] as const;

/** Documents: a list, and an editor with a live (sanitised) preview. */
export async function documentsTab(api: PublisherApi): Promise<HTMLElement> {
  const box = h('div', { class: 'stack' });
  const render = async (editing?: ApiDocument | null) => {
    const { list } = await publisherApi.documents(api.id);
    mount(
      box,
      list.length === 0
        ? empty('No documents yet: write a getting-started guide for developers below.')
        : h(
            'ul',
            { class: 'plain', id: 'document-list' },
            ...list.map((d) =>
              docRow(
                api,
                d,
                () => void render(d),
                () => void render(),
              ),
            ),
          ),
      editor(api, editing ?? null, () => void render()),
    );
  };
  await render();
  return box;
}

function docRow(api: PublisherApi, d: ApiDocument, edit: () => void, refresh: () => void): HTMLElement {
  const out = h('span', {});
  const remove = actionButton('Delete', { class: 'danger small' }, out, async () => {
    await publisherApi.deleteDocument(api.id, d.id);
    refresh();
  });
  return h(
    'li',
    { class: 'card' },
    h('strong', {}, d.name),
    ` · ${d.type} `,
    h('button', { type: 'button', class: 'secondary small', onclick: edit }, 'Edit'),
    remove,
    out,
  );
}

function editor(api: PublisherApi, doc: ApiDocument | null, saved: () => void): HTMLElement {
  const name = h('input', { id: 'doc-name', value: doc?.name ?? '', required: true, 'data-pointer': '/name' });
  const type = h(
    'select',
    { id: 'doc-type', 'data-pointer': '/type' },
    ...TYPES.map((t) => h('option', { value: t, selected: t === doc?.type }, t)),
  );
  const content = h('textarea', { id: 'doc-content', rows: '12', 'data-pointer': '/content' });
  content.value = doc?.content ?? '';
  const preview = h('div', { class: 'card preview', id: 'doc-preview', 'aria-label': 'Preview' });
  const update = () =>
    mount(preview, content.value.trim() === '' ? h('p', { class: 'muted' }, 'The preview appears here.') : markdown(content.value));
  content.addEventListener('input', update);
  update();
  const submit = h('button', { type: 'submit', id: 'doc-save' }, doc === null ? 'Add document' : 'Save document');
  const out = h('div', {});
  const form = h(
    'form',
    { class: 'card', id: 'document-form' },
    h('h2', {}, doc === null ? 'New document' : `Edit ${doc.name}`),
    field('Name', name),
    field('Type', type),
    h(
      'div',
      { class: 'columns' },
      h('div', { class: 'grow' }, field('Markdown', content)),
      h('div', { class: 'grow' }, h('p', { class: 'hint' }, 'Preview'), preview),
    ),
    submit,
    out,
  );
  onSubmit(form, submit, out, async () => {
    const body = { name: name.value, type: type.value as (typeof TYPES)[number], sourceType: 'INLINE' as const, content: content.value };
    if (doc === null) await publisherApi.addDocument(api.id, body);
    else await publisherApi.replaceDocument(api.id, doc.id, body);
    saved();
  });
  return form;
}
