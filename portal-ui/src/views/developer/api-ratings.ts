import { devportalApi } from '../../api/devportal.ts';
import type { CatalogApiDetail, Rating, Ratings } from '../../api/types.ts';
import { h, mount } from '../../components/dom.ts';
import { actionButton, field, onSubmit } from '../../components/feedback.ts';
import { signInHref, user } from '../../session.ts';

/** 1–5 as stars, with the number for screen readers. */
export function stars(rating: number): HTMLElement {
  return h(
    'span',
    { class: 'stars', role: 'img', 'aria-label': `${rating} of 5` },
    '★'.repeat(rating) + '☆'.repeat(Math.max(0, 5 - rating)),
  );
}

/** The average of the visible ratings; `unrated` says what to show when there is none. */
export function ratingSummary(r: Ratings, unrated = 'Not rated yet.'): HTMLElement {
  return h(
    'p',
    { class: 'rating-summary' },
    r.average === null
      ? unrated
      : h('span', {}, stars(Math.round(r.average)), ` ${r.average} of 5 from ${r.count} rating${r.count === 1 ? '' : 's'}`),
  );
}

/** The API page's ratings: what others said, and the signed-in user's own rating and comment. */
export async function ratingsSection(api: CatalogApiDetail): Promise<HTMLElement> {
  const section = h('section', { class: 'card', id: 'ratings' });
  const render = async (note?: HTMLElement) => {
    const ratings = await devportalApi.ratings(api.id);
    mount(
      section,
      h('h2', {}, 'Ratings and comments'),
      ratingSummary(ratings),
      ratings.list.length === 0
        ? h('p', { class: 'empty' }, 'Nobody has rated this API yet: be the first, below.')
        : h('ul', { class: 'plain', id: 'rating-list' }, ...ratings.list.map(item)),
      user() === null
        ? h('p', { class: 'hint' }, h('a', { href: signInHref() }, 'Sign in'), ' to rate this API.')
        : rateForm(api, render, note),
    );
  };
  await render();
  return section;
}

function item(r: Rating): HTMLElement {
  return h(
    'li',
    { class: 'rating', 'data-rating': r.id },
    h(
      'div',
      { class: 'card-head' },
      stars(r.rating),
      h('strong', {}, r.author),
      h('span', { class: 'muted' }, new Date(r.createdAt).toLocaleDateString()),
    ),
    r.comment === '' ? null : h('p', { class: 'comment' }, r.comment),
  );
}

function rateForm(api: CatalogApiDetail, refresh: (note?: HTMLElement) => Promise<void>, note?: HTMLElement): HTMLElement {
  const rating = h(
    'select',
    { id: 'rate-value', required: true, 'data-pointer': '/rating' },
    h('option', { value: '' }, 'Choose…'),
    ...[5, 4, 3, 2, 1].map((n) => h('option', { value: String(n) }, `${'★'.repeat(n)} ${n}`)),
  );
  const comment = h('textarea', { id: 'rate-comment', rows: '3', maxlength: '2000', 'data-pointer': '/comment' });
  const submit = h('button', { type: 'submit', id: 'rate-save' }, 'Save my rating');
  const out = h('div', { 'aria-live': 'polite' }, note ?? null);
  const withdraw = actionButton('Withdraw my rating', { class: 'secondary', id: 'rate-withdraw' }, out, async () => {
    await devportalApi.withdrawRating(api.id);
    await refresh(h('p', { class: 'ok' }, 'Your rating is withdrawn.'));
  });
  const form = h(
    'form',
    { id: 'rate-form' },
    h('h3', {}, 'Your rating'),
    h('p', { class: 'hint' }, 'One rating per person: saving again replaces yours. The publisher may hide comments.'),
    field('Stars', rating),
    field('Comment (optional)', comment),
    h('div', { class: 'actions' }, submit, withdraw),
    out,
  );
  onSubmit(form, submit, out, async () => {
    await devportalApi.rate(api.id, { rating: Number(rating.value), comment: comment.value });
    await refresh(h('p', { class: 'ok' }, 'Thanks: your rating is saved.'));
  });
  return form;
}
