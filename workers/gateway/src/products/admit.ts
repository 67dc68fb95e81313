import { BoundedCache } from '../../../shared/lru.ts';
import { ApiError } from '../../../shared/problem.ts';
import { admitCall, type AdmitCall, type Admitted } from '../throttle/admit.ts';

export type Admission = (env: Env, call: AdmitCall, waitUntil: (p: Promise<unknown>) => void) => Promise<Admitted>;

/**
 * Which product's subscription answered an application's last call to an API (admitted or refused
 * it), per isolate, so the next call asks that product's counter object first and pays one round
 * trip, not two — a throttled subscriber's 429s included. Bounded in
 * entries and age; a wrong guess costs one refused admission and is forgotten.
 */
const chosen = new BoundedCache<string, string>({ maxEntries: 10_000, maxAgeMs: 10 * 60_000 });

const notSubscribed = (err: unknown) => err instanceof ApiError && err.code === 'subscription-not-found';

/**
 * The admission of an operation that API products bundle (decision 0049): the application's own
 * subscription to the API first, then its subscription to each product, each through `admitCall`
 * with the product's id where the API's was — so the product's counter object, named by
 * (application, product), is the one authority for the product's quota, status and revocations,
 * shared by every operation of the product on every API. The shared counters (application tier,
 * API and resource policies) are the same whichever subscription admits. A subscription that
 * exists but refuses (blocked, on hold, throttled, revoked) answers as it does for an API; only
 * "not subscribed" moves on to the next candidate. Built once per resource per snapshot version;
 * resources in no product keep `admitCall` itself.
 */
export function productAdmission(products: readonly string[]): Admission {
  return async function admitWithProducts(env, call, waitUntil) {
    const key = `${call.applicationId} ${call.apiId}`;
    const remembered = chosen.get(key);
    if (remembered !== undefined && products.includes(remembered)) {
      try {
        return await admitCall(env, { ...call, apiId: remembered }, waitUntil);
      } catch (err) {
        if (!notSubscribed(err)) throw err;
        chosen.delete(key);
      }
    }
    try {
      return await admitCall(env, call, waitUntil);
    } catch (direct) {
      if (!notSubscribed(direct)) throw direct;
      for (const productId of products) {
        if (productId === remembered) continue;
        try {
          const admitted = await admitCall(env, { ...call, apiId: productId }, waitUntil);
          chosen.set(key, productId);
          return admitted;
        } catch (err) {
          if (!notSubscribed(err)) {
            // The subscription exists and refused (throttled, blocked): the next call asks it first too.
            chosen.set(key, productId);
            throw err;
          }
        }
      }
      throw direct;
    }
  };
}
