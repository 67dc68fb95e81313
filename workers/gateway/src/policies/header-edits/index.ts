import { z } from 'zod';
import { HeaderName, HeaderValue } from '../../../../shared/revision.ts';
import { definePolicy } from '../step.ts';

// Query parameter names are any text (RFC 3986 §3.4 leaves them to the application); bounded here.
const QueryName = z.string().min(1).max(200);
const QueryValue = z.string().max(2000);
const HeaderOps = z.strictObject({
  set: z.record(HeaderName, HeaderValue).default({}),
  remove: z.array(HeaderName).max(50).default([]),
  rename: z.record(HeaderName, HeaderName).default({}).describe('from → to: the header is sent under the new name'),
});
const Query = z.strictObject({
  set: z.record(QueryName, QueryValue).default({}),
  remove: z.array(QueryName).max(50).default([]),
  rename: z.record(QueryName, QueryName).default({}).describe('from → to: the parameter is sent under the new name'),
});

/**
 * The API's `headerEdits` field (set / remove, see revision.ts) is this config without `rename`
 * and `query`: it compiles to this policy (../compile.ts) and takes their defaults.
 */
const Config = z.strictObject({
  request: HeaderOps.extend({ query: Query.default({ set: {}, remove: [], rename: {} }) }).default({
    set: {},
    remove: [],
    rename: {},
    query: { set: {}, remove: [], rename: {} },
  }),
  response: HeaderOps.default({ set: {}, remove: [], rename: {} }),
});

/**
 * Sets, removes and renames request headers and query parameters on the way to the backend, and
 * response headers on the way back. In each list a rename runs first, then removals, then sets, so
 * `rename: {a: b}` with `set: {a: …}` sends both. Also what an API's `headerEdits` field compiles to.
 */
export const headerEdits = definePolicy({
  name: 'header-edits',
  description:
    'Sets, removes and renames headers and query parameters of the request to the backend, and headers of the response to the client.',
  config: Config,
  build(config) {
    const { request, response } = config;
    const setRequest = Object.entries(request.set);
    const removeRequest = request.remove;
    const renameRequest = Object.entries(request.rename);
    const query = request.query;
    const queryEdits = Object.keys(query.set).length + query.remove.length + Object.keys(query.rename).length > 0;
    const setResponse = Object.entries(response.set);
    const removeResponse = response.remove;
    const renameResponse = Object.entries(response.rename);
    const requestEdits = setRequest.length + removeRequest.length + renameRequest.length > 0 || queryEdits;
    return {
      ...(!requestEdits
        ? {}
        : {
            inbound(call) {
              if (renameRequest.length > 0 || removeRequest.length > 0) {
                // The client's headers are immutable and copied once; a copy an earlier step made (a
                // policy's, a WebSocket handshake's) is the gateway's own and edited in place.
                const headers = call.headers === call.request.headers ? new Headers(call.headers) : call.headers;
                rename(headers, renameRequest);
                for (const name of removeRequest) headers.delete(name);
                call.headers = headers;
              }
              for (const [name, value] of setRequest) call.extraHeaders[name] = value;
              if (queryEdits) call.search = editQuery(call.search, query);
            },
          }),
      ...(setResponse.length + removeResponse.length + renameResponse.length === 0
        ? {}
        : {
            outbound(headers) {
              rename(headers, renameResponse);
              for (const name of removeResponse) headers.delete(name);
              for (const [name, value] of setResponse) headers.set(name, value);
            },
          }),
    };
  },
});

function rename(headers: Headers, pairs: ReadonlyArray<readonly [string, string]>): void {
  for (const [from, to] of pairs) {
    const value = headers.get(from);
    if (value === null) continue;
    headers.delete(from);
    headers.set(to, value);
  }
}

/** The query string with the edits applied, every occurrence of a repeated parameter included. */
function editQuery(search: string, edits: z.output<typeof Query>): string {
  const params = new URLSearchParams(search);
  for (const [from, to] of Object.entries(edits.rename)) {
    const values = params.getAll(from);
    if (values.length === 0) continue;
    params.delete(from);
    for (const v of values) params.append(to, v);
  }
  for (const name of edits.remove) params.delete(name);
  for (const [name, value] of Object.entries(edits.set)) params.set(name, value);
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}
