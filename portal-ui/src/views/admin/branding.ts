import { adminApi } from '../../api/admin.ts';
import { applyBranding, branding } from '../../components/branding.ts';
import { h, mount } from '../../components/dom.ts';
import { field, onSubmit } from '../../components/feedback.ts';
import { markdown } from '../../components/markdown.ts';
import { render as reloadAdmin } from '../../router.ts';

/**
 * The portal's name, logo, colours and landing text. Saved through PUT /api/admin/v1/branding and
 * applied to this page at once; every other visitor gets it on their next page load, no rebuild.
 */
export function brandingTab(): HTMLElement {
  const b = branding();
  const name = h('input', { id: 'branding-name', required: true, maxlength: '60', value: b.portalName, 'data-pointer': '/portalName' });
  const primary = h('input', { id: 'branding-primary', type: 'color', value: b.primaryColor, 'data-pointer': '/primaryColor' });
  const header = h('input', { id: 'branding-header', type: 'color', value: b.headerColor, 'data-pointer': '/headerColor' });
  const file = h('input', {
    id: 'branding-logo',
    type: 'file',
    accept: 'image/png,image/jpeg,image/webp,image/gif,image/svg+xml',
    'data-pointer': '/logo',
  });
  let logo = b.logo;
  const logoPreview = h('span', { id: 'branding-logo-preview' });
  const showLogo = () =>
    mount(
      logoPreview,
      logo === null ? h('span', { class: 'muted' }, 'No logo') : h('img', { src: logo, alt: 'Current logo', class: 'logo' }),
      ' ',
      logo === null
        ? null
        : h('button', { type: 'button', class: 'link', id: 'branding-logo-remove', onclick: () => ((logo = null), showLogo()) }, 'Remove'),
    );
  showLogo();
  file.addEventListener('change', () => {
    const f = file.files?.[0];
    if (f === undefined) return;
    const reader = new FileReader();
    reader.addEventListener('load', () => {
      logo = typeof reader.result === 'string' ? reader.result : null;
      showLogo();
    });
    reader.readAsDataURL(f);
  });
  const landing = h(
    'textarea',
    { id: 'branding-landing', rows: '8', maxlength: '20000', 'data-pointer': '/landingMarkdown' },
    b.landingMarkdown,
  );
  const preview = h('div', { class: 'card', id: 'branding-preview', 'aria-live': 'polite' });
  const showPreview = () =>
    mount(
      preview,
      landing.value.trim() === ''
        ? h('p', { class: 'muted' }, "Empty: the landing page says what the portal is in the portal's own words.")
        : markdown(landing.value),
    );
  landing.addEventListener('input', showPreview);
  showPreview();
  const submit = h('button', { type: 'submit', id: 'branding-save' }, 'Save branding');
  const out = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'card', id: 'branding-form', 'aria-label': 'Branding' },
    h('h2', {}, 'Branding'),
    h('p', { class: 'hint' }, 'Applies to every page of the portal on its next load; nothing is rebuilt or redeployed.'),
    field('Portal name', name),
    h('div', { class: 'columns' }, field('Primary colour (links, buttons)', primary), field('Header colour', header)),
    field('Logo (PNG, JPEG, WebP, GIF or SVG, up to about 150 kB)', file),
    logoPreview,
    field('Landing page (Markdown)', landing),
    h('p', { class: 'hint' }, 'Preview:'),
    preview,
    submit,
    out,
  );
  onSubmit(form, submit, out, async () => {
    const saved = await adminApi.setBranding({
      portalName: name.value.trim(),
      logo,
      primaryColor: primary.value,
      headerColor: header.value,
      landingMarkdown: landing.value,
    });
    applyBranding(saved);
    await reloadAdmin();
    document
      .getElementById('branding-form')
      ?.append(h('p', { class: 'ok', role: 'status', id: 'branding-saved' }, 'Saved: the portal uses it now.'));
  });
  return form;
}
