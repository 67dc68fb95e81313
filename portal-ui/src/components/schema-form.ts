import { ProblemError } from '../api/client.ts';
import { h } from './dom.ts';
import { field } from './feedback.ts';

/** The part of JSON Schema (as zod's toJSONSchema writes it) that a policy's config form is made from. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  enum?: unknown[];
  default?: unknown;
  description?: string;
  required?: string[];
}

/** A control for one schema node: its element, and a reader giving the value (undefined: leave it out). */
export interface SchemaField {
  readonly element: HTMLElement;
  read(): unknown;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const typeOf = (s: JsonSchema) => (Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type);

/**
 * A form generated from a JSON Schema: objects with properties become fieldsets, booleans
 * checkboxes, strings text fields (a select for an enum), numbers number fields, lists of strings a
 * comma-separated field, maps of strings rows of name and value, and anything else (free JSON,
 * maps of JSON values) a JSON text area. Every control carries `data-rel`, its JSON pointer inside
 * the config, so the caller can point the control plane's field errors at it.
 */
export function schemaField(schema: JsonSchema, value: unknown, rel: string, label: string): SchemaField {
  const hint = schema.description;
  const type = typeOf(schema);
  const initial = value === undefined ? schema.default : value;
  if (type === 'object' && schema.properties !== undefined) {
    const children = Object.entries(schema.properties).map(
      ([name, child]) => [name, schemaField(child, isRecord(initial) ? initial[name] : undefined, `${rel}/${name}`, name)] as const,
    );
    const element = h(
      'fieldset',
      { class: 'schema-object', 'data-rel': rel },
      h('legend', {}, label),
      hint === undefined ? null : h('p', { class: 'hint' }, hint),
      ...children.map(([, c]) => c.element),
    );
    return {
      element,
      read() {
        const out: Record<string, unknown> = {};
        for (const [name, c] of children) {
          const v = c.read();
          if (v !== undefined) out[name] = v;
        }
        return out;
      },
    };
  }
  if (type === 'boolean') {
    const input = h('input', { type: 'checkbox', 'data-rel': rel, checked: initial === true });
    return {
      element: h(
        'div',
        { class: 'field' },
        h('label', {}, input, ` ${label}`),
        hint === undefined ? null : h('p', { class: 'hint' }, hint),
      ),
      read: () => input.checked,
    };
  }
  if (type === 'string' && Array.isArray(schema.enum)) {
    const select = h(
      'select',
      { 'data-rel': rel },
      h('option', { value: '' }, '—'),
      ...schema.enum.map((v) => h('option', { value: String(v), selected: v === initial }, String(v))),
    );
    return { element: field(label, select, hint), read: () => (select.value === '' ? undefined : select.value) };
  }
  if (type === 'string' || type === 'integer' || type === 'number') {
    const number = type !== 'string';
    const input = h('input', {
      type: number ? 'number' : 'text',
      'data-rel': rel,
      value: initial === undefined || initial === null ? '' : String(initial),
    });
    return {
      element: field(label, input, hint),
      read: () => (input.value.trim() === '' ? undefined : number ? Number(input.value) : input.value),
    };
  }
  if (type === 'array' && schema.items !== undefined && typeOf(schema.items) === 'string') {
    const input = h('input', { 'data-rel': rel, value: Array.isArray(initial) ? initial.join(', ') : '' });
    return {
      element: field(label, input, `${hint === undefined ? '' : `${hint}. `}Comma separated.`),
      read: () =>
        input.value
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== ''),
    };
  }
  if (type === 'object' && isRecord(schema.additionalProperties) && typeOf(schema.additionalProperties) === 'string')
    return mapField(isRecord(initial) ? initial : {}, rel, label, hint);
  return jsonField(initial, rel, label, hint);
}

/** A map of strings (header → value, from → to): rows of two fields. */
function mapField(initial: Record<string, unknown>, rel: string, label: string, hint: string | undefined): SchemaField {
  const list = h('div', { class: 'rows', 'data-rel': rel });
  const row = (k: string, v: string) => {
    const r = h(
      'div',
      { class: 'row' },
      h('label', { class: 'cell' }, h('span', { class: 'hint' }, 'Name'), h('input', { 'data-key': 'name', value: k })),
      h('label', { class: 'cell' }, h('span', { class: 'hint' }, 'Value'), h('input', { 'data-key': 'value', value: v })),
    );
    r.append(
      h('button', { type: 'button', class: 'danger small', 'aria-label': `Remove ${label} entry`, onclick: () => r.remove() }, 'Remove'),
    );
    return r;
  };
  for (const [k, v] of Object.entries(initial)) list.append(row(k, String(v)));
  const add = h(
    'button',
    { type: 'button', class: 'secondary small', 'aria-label': `Add ${label} entry`, onclick: () => list.append(row('', '')) },
    'Add',
  );
  return {
    element: h(
      'div',
      { class: 'field' },
      h('span', { class: 'label' }, label),
      hint === undefined ? null : h('p', { class: 'hint' }, hint),
      list,
      add,
    ),
    read() {
      const out: Record<string, string> = {};
      for (const r of list.querySelectorAll('.row')) {
        const name = r.querySelector<HTMLInputElement>('input[data-key="name"]')?.value.trim() ?? '';
        if (name !== '') out[name] = r.querySelector<HTMLInputElement>('input[data-key="value"]')?.value ?? '';
      }
      return out;
    },
  };
}

/** Free JSON: a text area, parsed on save (an unreadable value is refused there, next to the field). */
function jsonField(initial: unknown, rel: string, label: string, hint: string | undefined): SchemaField {
  const area = h('textarea', { 'data-rel': rel, rows: '3', spellcheck: false, placeholder: 'JSON' });
  area.value = initial === undefined ? '' : JSON.stringify(initial, null, 2);
  return {
    element: field(label, area, `${hint === undefined ? '' : `${hint}. `}JSON.`),
    read() {
      if (area.value.trim() === '') return undefined;
      try {
        return JSON.parse(area.value) as unknown;
      } catch {
        // Shown like the control plane's own field errors: next to the control that carries this pointer.
        throw new ProblemError({
          type: 'about:blank',
          title: 'Not valid JSON',
          status: 400,
          detail: `${label} is not valid JSON`,
          errors: [{ pointer: area.getAttribute('data-pointer') ?? '', detail: 'Not valid JSON' }],
        });
      }
    },
  };
}
