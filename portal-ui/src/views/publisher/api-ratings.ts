import { publisherApi } from '../../api/publisher.ts';
import type { PublisherApi, Rating } from '../../api/types.ts';
import { badge } from '../../components/badges.ts';
import { h } from '../../components/dom.ts';
import { actionButton, empty } from '../../components/feedback.ts';
import { can } from '../../session.ts';
import { ratingSummary, stars } from '../developer/api-ratings.ts';

/** Every rating of the API with its author; the publisher hides what should not be public, or shows it again. */
export async function ratingsTab(api: PublisherApi, reload: () => Promise<void>): Promise<HTMLElement> {
  const ratings = await publisherApi.ratings(api.id);
  if (ratings.list.length === 0) return empty('No ratings yet. Developers rate the API from its page in the catalog once it is published.');
  return h(
    'div',
    { class: 'stack' },
    ratingSummary(ratings, 'No visible rating.'),
    h(
      'p',
      { class: 'hint' },
      `${ratings.list.length} in all, ${ratings.list.length - ratings.count} hidden. A hidden rating no longer shows in the portal nor counts in the average; editing it keeps it hidden.`,
    ),
    h('ul', { class: 'plain', id: 'ratings' }, ...ratings.list.map((r) => row(api, r, reload))),
  );
}

function row(api: PublisherApi, r: Rating, reload: () => Promise<void>): HTMLElement {
  const out = h('div', {});
  const toggle = actionButton(
    r.hidden ? 'Show again' : 'Hide',
    { class: r.hidden ? 'secondary small' : 'danger small', 'data-action': r.hidden ? 'show' : 'hide' },
    out,
    async () => {
      await publisherApi.moderateRating(api.id, r.id, { hidden: !r.hidden });
      await reload();
    },
  );
  return h(
    'li',
    { class: `card rating${r.hidden ? ' hidden-rating' : ''}`, 'data-rating': r.id, 'data-author': r.author },
    h(
      'div',
      { class: 'card-head' },
      stars(r.rating),
      h('strong', {}, r.author),
      h('span', { class: 'muted' }, new Date(r.createdAt).toLocaleString()),
      r.hidden ? badge('HIDDEN') : null,
      can('api:publish') ? h('span', { class: 'actions' }, toggle) : null,
    ),
    r.comment === '' ? h('p', { class: 'muted' }, 'No comment.') : h('p', { class: 'comment' }, r.comment),
    out,
  );
}
