import { devportalApi } from '../api/devportal.ts';
import { branding } from '../components/branding.ts';
import { h } from '../components/dom.ts';
import { markdown } from '../components/markdown.ts';
import { layout } from '../components/layout.ts';
import { signInHref, user } from '../session.ts';

/**
 * The landing page: what this portal is and what a visitor can do here, before and after signing in,
 * with the newest APIs of the catalog (the PUBLIC ones for a visitor).
 */
export async function homeView(): Promise<void> {
  const { list } = await devportalApi.catalog();
  const { portalName, landingMarkdown: landing } = branding();
  const me = user();
  const steps = h(
    'ol',
    { class: 'steps' },
    h('li', {}, h('strong', {}, 'Browse'), ' the catalog: every API with its overview, documents and an interactive reference.'),
    h('li', {}, h('strong', {}, 'Subscribe'), ' an application of yours to an API on a tier, from the API’s page.'),
    h('li', {}, h('strong', {}, 'Get keys'), ' (OAuth2 client credentials or an API key), try calls in the browser and watch your usage.'),
  );
  const actions = h(
    'p',
    { class: 'actions' },
    h('a', { class: 'button', href: '#/catalog', id: 'browse-catalog' }, 'Browse the catalog'),
    ' ',
    me === null
      ? h('a', { class: 'button secondary', href: signInHref('/catalog') }, 'Sign in or create a developer account')
      : h('a', { class: 'button secondary', href: '#/applications' }, 'Your applications'),
  );
  const newest = list
    .slice(0, 3)
    .map((a) =>
      h(
        'article',
        { class: 'card api' },
        h('h3', {}, h('a', { href: `#/apis/${encodeURIComponent(a.id)}` }, a.name), ' ', h('span', { class: 'version' }, a.version)),
        h('p', { class: 'description' }, a.description === '' ? 'No description.' : a.description),
      ),
    );
  layout(
    `${portalName} developer portal`,
    h(
      'section',
      { class: 'card hero', id: 'landing' },
      landing === ''
        ? h(
            'p',
            { class: 'lead' },
            `This is the developer portal of ${portalName}: the API gateway in front of these APIs. Here developers find the APIs they may call, learn how to call them and get the credentials to do so.`,
          )
        : h('div', { id: 'landing-text' }, markdown(landing)),
      steps,
      actions,
    ),
    newest.length === 0
      ? null
      : h('section', {}, h('h2', {}, 'Newest in the catalog'), h('div', { class: 'grid', id: 'landing-apis' }, ...newest)),
  );
}
