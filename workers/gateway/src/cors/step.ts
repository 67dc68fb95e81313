import type { SnapshotApi } from '../../../shared/snapshot.ts';
import type { CallStep } from '../call.ts';
import { corsHeaders, preflight } from './cors.ts';

/**
 * The API's CORS step, first after routing: a preflight is answered here, before any credential is
 * asked for (browsers send none with it, Fetch standard §3.2.2); any other call gets its CORS
 * headers on every answer, error answers included. Absent when the API has CORS off.
 */
export function corsStep(api: SnapshotApi): CallStep | null {
  const cors = api.cors?.enabled === true ? api.cors : null;
  if (cors === null) return null;
  return function cors_(call) {
    const answer = preflight(cors, call.request);
    if (answer !== null) return answer;
    call.x.responseHeaders = corsHeaders(cors, call.request);
  };
}
