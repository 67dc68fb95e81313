import { ProblemError } from '../api/client.ts';
import { h, mount, type Attrs } from './dom.ts';

/** A problem document as an alert: title, detail and the field errors no form field claimed. */
export function errorBox(err: unknown, unclaimed?: Array<{ pointer: string; detail: string }>): HTMLElement {
  if (err instanceof ProblemError) {
    const errors = unclaimed ?? err.problem.errors ?? [];
    return h(
      'div',
      { class: 'error', role: 'alert' },
      h('strong', {}, err.problem.title),
      err.problem.detail === undefined ? null : h('p', {}, err.problem.detail),
      errors.length === 0 ? null : h('ul', {}, ...errors.map((e) => h('li', {}, `${e.pointer}: ${e.detail}`))),
    );
  }
  return h('div', { class: 'error', role: 'alert' }, err instanceof Error ? err.message : String(err));
}

/**
 * Shows a failed submission: each `errors[]` entry next to the field whose `data-pointer` names it
 * (RFC 9457 pointers from the control plane's zod validation), the rest in the summary box.
 */
export function showProblem(form: HTMLElement, out: HTMLElement, err: unknown): void {
  clearFieldErrors(form);
  const unclaimed: Array<{ pointer: string; detail: string }> = [];
  const errors = err instanceof ProblemError ? (err.problem.errors ?? []) : [];
  for (const e of errors) {
    const field = fieldFor(form, e.pointer);
    if (field === null) {
      unclaimed.push(e);
      continue;
    }
    const id = `err-${Math.random().toString(36).slice(2, 9)}`;
    field.setAttribute('aria-invalid', 'true');
    field.setAttribute('aria-describedby', id);
    field.insertAdjacentElement('afterend', h('p', { class: 'field-error', id, role: 'alert' }, e.detail));
  }
  const first = form.querySelector<HTMLElement>('[aria-invalid="true"]');
  first?.focus();
  mount(
    out,
    errors.length > 0 && unclaimed.length === 0 && err instanceof ProblemError
      ? h('p', { class: 'error', role: 'alert' }, err.problem.detail ?? err.problem.title)
      : errorBox(err, unclaimed),
  );
}

function fieldFor(form: HTMLElement, pointer: string): HTMLElement | null {
  // The most specific field first: /resources/2/path, then /resources/2, then /resources.
  const parts = pointer.split('/');
  for (let n = parts.length; n > 1; n--) {
    const candidate = parts.slice(0, n).join('/');
    const field = form.querySelector<HTMLElement>(`[data-pointer="${CSS.escape(candidate)}"]`);
    if (field !== null) return field;
  }
  return null;
}

export function clearFieldErrors(form: HTMLElement): void {
  form.querySelectorAll('.field-error').forEach((e) => e.remove());
  form.querySelectorAll('[aria-invalid]').forEach((e) => {
    e.removeAttribute('aria-invalid');
    e.removeAttribute('aria-describedby');
  });
}

/** Disables the button and marks it busy while the work runs. */
export async function busy<T>(button: HTMLButtonElement, work: () => Promise<T>): Promise<T> {
  button.disabled = true;
  button.classList.add('busy');
  button.setAttribute('aria-busy', 'true');
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.classList.remove('busy');
    button.removeAttribute('aria-busy');
  }
}

/** A form whose submit runs `work` with the button busy; failures appear inline and in `out`. */
export function onSubmit(form: HTMLFormElement, submit: HTMLButtonElement, out: HTMLElement, work: () => Promise<void>): void {
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void busy(submit, async () => {
      clearFieldErrors(form);
      mount(out);
      try {
        await work();
      } catch (err) {
        showProblem(form, out, err);
      }
    });
  });
}

export function empty(text: string, ...next: Array<Node | string>): HTMLElement {
  return h('div', { class: 'empty' }, h('p', {}, text), ...next);
}

/** A labelled form field: the label, the control (carrying its data-pointer) and room for its error. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  const id = control.id === '' ? `f-${Math.random().toString(36).slice(2, 9)}` : control.id;
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hint === undefined ? null : h('p', { class: 'hint' }, hint));
}

/** A button that runs `work` busy, showing a failure in `out` (delete, revoke, stop trusting…). */
export function actionButton(label: string, attrs: Attrs, out: HTMLElement, work: () => Promise<void>): HTMLButtonElement {
  const button = h('button', { type: 'button', ...attrs }, label);
  button.addEventListener(
    'click',
    () =>
      void busy(button, async () => {
        try {
          await work();
        } catch (err) {
          mount(out, errorBox(err));
        }
      }),
  );
  return button;
}

/** What a destructive action asks before it runs: what happens, above all to live traffic. */
export interface Confirmation {
  /** What happens, e.g. "Calls with this key are refused from the next request on." */
  consequence: string;
  /** The confirming button's label, e.g. "Revoke the key". */
  confirm: string;
}

/**
 * A destructive action that asks first, the same way everywhere: the button opens an inline
 * question saying what will happen (to live traffic above all) with a confirming and a cancelling
 * button; only the confirming one runs `work`. Cancel puts the button back.
 */
export function confirmButton(label: string, attrs: Attrs, out: HTMLElement, ask: Confirmation, work: () => Promise<void>): HTMLElement {
  const box = h('span', { class: 'confirmable' });
  const button = h('button', { type: 'button', ...attrs }, label);
  const restore = () => {
    mount(box, button);
    button.focus();
  };
  button.addEventListener('click', () => {
    const yes = actionButton(ask.confirm, { class: 'danger', 'data-action': 'confirm' }, out, work);
    const no = h('button', { type: 'button', class: 'secondary', 'data-action': 'cancel', onclick: restore }, 'Cancel');
    mount(
      box,
      h(
        'span',
        { class: 'warning confirm', role: 'alertdialog', 'aria-label': label },
        h('span', { class: 'consequence' }, ask.consequence),
        ' ',
        yes,
        ' ',
        no,
      ),
    );
    yes.focus();
  });
  mount(box, button);
  return box;
}
