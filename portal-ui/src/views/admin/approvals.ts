import { adminApi } from '../../api/admin.ts';
import type { Settings, Workflow } from '../../api/types.ts';
import { badge } from '../../components/badges.ts';
import { h, mount } from '../../components/dom.ts';
import { actionButton, empty, errorBox } from '../../components/feedback.ts';
import { render as reloadAdmin } from '../../router.ts';

const LABEL: Record<Workflow['type'], string> = {
  USER_SIGNUP: 'Developer sign-up',
  APPLICATION_CREATION: 'New application',
  SUBSCRIPTION_CREATION: 'New subscription',
};

/** Pending approval requests (approve or reject with a reason) and the switches that create them. */
export async function approvalsTab(): Promise<HTMLElement> {
  const [{ list }, settings] = await Promise.all([adminApi.workflows('PENDING'), adminApi.settings()]);
  return h(
    'div',
    { class: 'stack' },
    list.length === 0
      ? empty('Nothing waits for approval. Turn on an approval workflow below to review sign-ups, applications or subscriptions first.')
      : h('ul', { class: 'plain', id: 'approvals' }, ...list.map(request)),
    switches(settings),
  );
}

/** Who asks for what, by name: "Ada Lovelace <ada@…> asks for Weather v1 on Gold for the application Forecasts". */
function subject(w: Workflow): HTMLElement {
  const s = w.subject;
  const who =
    s.developer === null
      ? h('span', { class: 'muted' }, 'A deleted user')
      : h('span', {}, h('strong', { 'data-field': 'developer' }, s.developer.name), ` <${s.developer.email}>`);
  if (w.type === 'USER_SIGNUP') return h('p', { class: 'subject' }, who, ' signed up as a developer.');
  const app =
    s.application === null
      ? h('span', { class: 'muted' }, 'a deleted application')
      : h('strong', { 'data-field': 'application' }, s.application.name);
  if (w.type === 'APPLICATION_CREATION') return h('p', { class: 'subject' }, who, ' created the application ', app, '.');
  const api =
    s.api === null
      ? h('span', { class: 'muted' }, 'a deleted API')
      : h('strong', { 'data-field': 'api' }, `${s.api.name} ${s.api.version}`);
  return h(
    'p',
    { class: 'subject' },
    who,
    ' asks to subscribe ',
    app,
    ' to ',
    api,
    ' on the tier ',
    h('strong', { 'data-field': 'tier' }, s.tier ?? '?'),
    '.',
  );
}

function request(w: Workflow): HTMLElement {
  const reason = h('input', {
    placeholder: 'Reason (shown to the developer)',
    'aria-label': 'Reason',
    'data-field': 'reason',
    maxlength: '1000',
  });
  const out = h('div', {});
  const decide = (approve: boolean) =>
    actionButton(
      approve ? 'Approve' : 'Reject',
      { class: approve ? '' : 'danger', 'data-action': approve ? 'approve' : 'reject' },
      out,
      async () => {
        await adminApi.decide(w.id, approve, reason.value);
        await reloadAdmin();
      },
    );
  return h(
    'li',
    { class: 'card', 'data-workflow': w.id },
    h('strong', {}, LABEL[w.type]),
    ' ',
    badge(w.status),
    subject(w),
    h('p', { class: 'muted' }, `${w.referenceId} · requested ${new Date(w.createdAt).toLocaleString()}`),
    h('div', { class: 'toolbar' }, reason, decide(true), decide(false)),
    out,
  );
}

function switches(settings: Settings): HTMLElement {
  const out = h('span', { 'aria-live': 'polite' });
  const toggle = (label: string, checked: boolean, patch: (on: boolean) => Partial<Settings>) => {
    const box = h('input', { type: 'checkbox', checked });
    box.addEventListener(
      'change',
      () =>
        void adminApi.updateSettings(patch(box.checked)).then(
          () => mount(out, h('span', { class: 'ok' }, 'Saved')),
          (err: unknown) => mount(out, errorBox(err)),
        ),
    );
    return h('label', { class: 'check' }, box, ` ${label}`);
  };
  const wf = settings.workflows;
  return h(
    'section',
    { class: 'card' },
    h('h2', {}, 'Sign-up and approvals'),
    toggle('Developers may sign up themselves', settings.selfSignup, (on) => ({ selfSignup: on })),
    toggle('Approve developer sign-ups', wf.USER_SIGNUP, (on) => ({ workflows: { ...wf, USER_SIGNUP: on } })),
    toggle('Approve new applications', wf.APPLICATION_CREATION, (on) => ({ workflows: { ...wf, APPLICATION_CREATION: on } })),
    toggle('Approve new subscriptions', wf.SUBSCRIPTION_CREATION, (on) => ({ workflows: { ...wf, SUBSCRIPTION_CREATION: on } })),
    out,
  );
}
