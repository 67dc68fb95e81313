import { describe, expect, it } from 'vitest';
import { api, apiBody, publishedApi, userWithRole, type ProblemBody } from '../../../../test/workers/control-plane-helpers.ts';

interface Ratings {
  average: number | null;
  count: number;
  list: Array<{ id: string; rating: number; comment: string; author: string; hidden: boolean }>;
}

describe('feedback: ratings and comments', () => {
  it('one rating per user and API, replaced by a second PUT, averaged over what is visible', async () => {
    const publisher = await userWithRole('publisher');
    const apiId = await publishedApi(publisher);
    const alice = await userWithRole('developer');
    const bob = await userWithRole('developer');
    expect((await api('PUT', `/api/devportal/v1/apis/${apiId}/ratings/mine`, alice, { rating: 2, comment: 'slow' })).status).toBe(200);
    const replaced = await api<{ rating: number; comment: string }>('PUT', `/api/devportal/v1/apis/${apiId}/ratings/mine`, alice, {
      rating: 4,
      comment: 'better now',
    });
    expect(replaced.body).toMatchObject({ rating: 4, comment: 'better now' });
    expect((await api('PUT', `/api/devportal/v1/apis/${apiId}/ratings/mine`, bob, { rating: 5 })).status).toBe(200);

    const everyone = await api<Ratings>('GET', `/api/devportal/v1/apis/${apiId}/ratings`, null);
    expect(everyone.status).toBe(200);
    expect(everyone.body).toMatchObject({ average: 4.5, count: 2 });
    expect(everyone.body.list.map((r) => r.rating).sort()).toEqual([4, 5]);

    expect((await api('DELETE', `/api/devportal/v1/apis/${apiId}/ratings/mine`, bob)).status).toBe(204);
    expect((await api('DELETE', `/api/devportal/v1/apis/${apiId}/ratings/mine`, bob)).status).toBe(404);
    expect((await api<Ratings>('GET', `/api/devportal/v1/apis/${apiId}/ratings`, null)).body).toMatchObject({ average: 4, count: 1 });
  });

  it('refuses bad ratings with the field at fault, anonymous raters, and APIs outside the catalog', async () => {
    const publisher = await userWithRole('publisher');
    const apiId = await publishedApi(publisher);
    const dev = await userWithRole('developer');
    const bad = await api<ProblemBody>('PUT', `/api/devportal/v1/apis/${apiId}/ratings/mine`, dev, { rating: 6, stars: 3 });
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.map((e) => e.pointer)).toEqual(expect.arrayContaining(['/rating', '/stars']));
    expect((await api('PUT', `/api/devportal/v1/apis/${apiId}/ratings/mine`, null, { rating: 3 })).status).toBe(401);
    const draft = await api<{ id: string }>('POST', '/api/publisher/v1/apis', publisher, apiBody());
    expect((await api('PUT', `/api/devportal/v1/apis/${draft.body.id}/ratings/mine`, dev, { rating: 3 })).status).toBe(404);
    expect((await api('GET', `/api/devportal/v1/apis/${draft.body.id}/ratings`, null)).status).toBe(404);
  });

  it('the publisher sees every rating with its author and hides one; other publishers get 404', async () => {
    const publisher = await userWithRole('publisher');
    const apiId = await publishedApi(publisher);
    const dev = await userWithRole('developer');
    await api('PUT', `/api/devportal/v1/apis/${apiId}/ratings/mine`, dev, { rating: 1, comment: 'spam spam spam' });
    const all = await api<Ratings>('GET', `/api/publisher/v1/apis/${apiId}/ratings`, publisher);
    expect(all.body.list).toEqual([expect.objectContaining({ author: dev.email, hidden: false })]);
    const ratingId = all.body.list[0]?.id ?? '';

    const other = await userWithRole('publisher');
    expect((await api('PATCH', `/api/publisher/v1/apis/${apiId}/ratings/${ratingId}`, other, { hidden: true })).status).toBe(404);
    expect((await api('PATCH', `/api/publisher/v1/apis/${apiId}/ratings/rat_nope`, publisher, { hidden: true })).status).toBe(404);
    expect((await api('PATCH', `/api/publisher/v1/apis/${apiId}/ratings/${ratingId}`, publisher, { hidden: true })).status).toBe(200);
    expect((await api<Ratings>('GET', `/api/devportal/v1/apis/${apiId}/ratings`, null)).body).toEqual({
      average: null,
      count: 0,
      list: [],
    });

    // Editing a hidden rating does not bring it back.
    await api('PUT', `/api/devportal/v1/apis/${apiId}/ratings/mine`, dev, { rating: 2, comment: 'still spam' });
    expect((await api<Ratings>('GET', `/api/devportal/v1/apis/${apiId}/ratings`, null)).body.count).toBe(0);
    expect((await api<Ratings>('GET', `/api/publisher/v1/apis/${apiId}/ratings`, publisher)).body.list[0]).toMatchObject({
      hidden: true,
      rating: 2,
    });
  });
});
