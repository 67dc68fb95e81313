import { h } from './dom.ts';

/** A secret shown once: the warning, the value and a copy button that says when it worked. */
export function shownOnce(
  label: string,
  value: string,
  extra: Array<Node | null> = [],
  warning = 'Copy it now: it is shown once and stored only as a hash.',
): HTMLElement {
  const status = h('span', { class: 'muted', 'aria-live': 'polite' });
  const copy = h(
    'button',
    {
      type: 'button',
      class: 'secondary',
      'data-action': 'copy',
      onclick: () =>
        void navigator.clipboard.writeText(value).then(
          () => (status.textContent = 'Copied'),
          () => (status.textContent = 'Copy failed: select the text and copy it by hand'),
        ),
    },
    'Copy',
  );
  return h(
    'div',
    { class: 'warning secret-box', role: 'status' },
    h('strong', {}, warning),
    ...extra,
    h('p', {}, `${label} `, h('code', { id: 'secret', class: 'secret' }, value)),
    copy,
    ' ',
    status,
  );
}

/** Copyable code block (curl lines, tokens). */
export function codeBlock(text: string, attrs: Record<string, string> = {}): HTMLElement {
  const status = h('span', { class: 'muted', 'aria-live': 'polite' });
  return h(
    'div',
    { class: 'code-block' },
    h('pre', { class: 'curl', ...attrs }, text),
    h(
      'button',
      {
        type: 'button',
        class: 'secondary small',
        onclick: () =>
          void navigator.clipboard.writeText(text).then(
            () => (status.textContent = 'Copied'),
            () => (status.textContent = 'Copy failed'),
          ),
      },
      'Copy',
    ),
    status,
  );
}
