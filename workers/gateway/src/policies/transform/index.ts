import { z } from 'zod';
import { ApiError } from '../../../../shared/problem.ts';
import { definePolicy, type InboundCall } from '../step.ts';
import { applyBodyEdits, BodyEdits, type BodyEditList } from './json-body.ts';

/** A JSON body above this is refused rather than read whole into the isolate to be rewritten. */
export const MAX_TRANSFORMED_BODY_BYTES = 1024 * 1024;

const Config = z.strictObject({
  path: z
    .string()
    .max(1000)
    .regex(/^\/[^?#\s]*$/, 'A path starting with / (no query, no fragment)')
    .optional()
    .describe("The backend path, below the endpoint URL, with the operation's {parameters}: /v2/items/{id}"),
  request: BodyEdits.optional().describe('Edits of the JSON request body'),
  response: BodyEdits.optional().describe('Edits of the JSON response body'),
});

/**
 * Rewrites what goes to the backend and what comes back: the backend path (a template filled from
 * the operation's path parameters, OpenAPI 3.1 §4.8.2 templating) and JSON bodies in both
 * directions — fields moved (`map`, JSON pointers, RFC 6901), removed or set. A body that is not
 * JSON (by its Content-Type) passes as it is; a request body that claims JSON and is not gets 400.
 */
export const transform = definePolicy({
  name: 'transform',
  description:
    "Rewrites the backend path from the operation's path parameters, and maps, removes or sets fields of JSON request and response bodies.",
  config: Config,
  build(config, { resource }) {
    const rewrite = config.path === undefined ? null : pathRewrite(resource.pathTemplate, config.path);
    const request = config.request === undefined || empty(config.request) ? null : config.request;
    const response = config.response === undefined || empty(config.response) ? null : config.response;
    return {
      ...(rewrite === null && request === null
        ? {}
        : {
            inbound(call: InboundCall) {
              if (rewrite !== null) call.rest = rewrite(call.rest);
              if (request !== null) return rewriteRequest(call, request);
            },
          }),
      ...(response === null ? {} : { response: (res: Response) => rewriteResponse(res, response) }),
    };
  },
});

const empty = (e: BodyEditList) => Object.keys(e.map).length + e.remove.length + Object.keys(e.set).length === 0;
const isJsonType = (type: string | null) => type !== null && /^application\/([\w.+-]*\+)?json\s*(;|$)/i.test(type);

async function rewriteRequest(call: InboundCall, edits: BodyEditList): Promise<void> {
  if (call.body === null || !isJsonType(call.request.headers.get('content-type'))) return;
  const text =
    typeof call.body === 'string'
      ? call.body
      : await readBounded(
          call.body,
          () => new ApiError('payload-too-large', { detail: `A transformed JSON body is at most ${MAX_TRANSFORMED_BODY_BYTES} bytes` }),
        );
  if (text === '') return;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError('malformed-json', {
      detail: 'The request body is not valid JSON (RFC 8259)',
      errors: [{ pointer: '/body', detail: 'Not valid JSON' }],
    });
  }
  call.body = JSON.stringify(applyBodyEdits(value, edits));
  // The length changed: the runtime sets it from the new text.
  const headers = new Headers(call.headers);
  headers.delete('content-length');
  call.headers = headers;
}

async function rewriteResponse(response: Response, edits: BodyEditList): Promise<Response> {
  if (response.body === null || !isJsonType(response.headers.get('content-type'))) return response;
  const tooLarge = () =>
    new ApiError('bad-gateway', { detail: `The backend's JSON answer is over the ${MAX_TRANSFORMED_BODY_BYTES} bytes a transform reads` });
  const declared = Number(response.headers.get('content-length'));
  if (response.headers.has('content-length') && declared > MAX_TRANSFORMED_BODY_BYTES) throw tooLarge();
  const text = await readBounded(response.body, tooLarge);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // Not what it says it is: relayed untouched rather than guessed at.
    return new Response(text, response);
  }
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  // The body the client gets is not the one the backend tagged (RFC 9110 §8.8.3).
  headers.delete('etag');
  return new Response(JSON.stringify(applyBodyEdits(value, edits)), { status: response.status, statusText: response.statusText, headers });
}

/** Reads a body of unknown length (chunked) without ever holding more than the limit. */
async function readBounded(stream: ReadableStream, tooLarge: () => ApiError): Promise<string> {
  const reader = (stream as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let bytes = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    bytes += value.byteLength;
    if (bytes > MAX_TRANSFORMED_BODY_BYTES) {
      await reader.cancel();
      throw tooLarge();
    }
    text += decoder.decode(value, { stream: true });
  }
}

/**
 * The backend path from the template's parameters: `/items/{id}` called as `/items/42` with
 * `/v2/things/{id}` goes to `/v2/things/42`. Values are used as received (still percent-encoded),
 * so a rewrite never decodes a `%2F` into a path separator.
 */
function pathRewrite(template: string, target: string): (rest: string) => string {
  const names: string[] = [];
  let source = '';
  let last = 0;
  for (const m of template.matchAll(/\{\+?([^}]+)\}|\*$/g)) {
    source += escapeRegExp(template.slice(last, m.index));
    if (m[1] === undefined) source += '(.*)';
    else {
      names.push(m[1]);
      source += m[0].startsWith('{+') ? '(.*)' : '([^/]+)';
    }
    last = m.index + m[0].length;
  }
  source += escapeRegExp(template.slice(last));
  const matcher = new RegExp(`^${source}$`);
  return (rest) => {
    const found = matcher.exec(rest);
    if (found === null) return rest;
    const values = new Map(names.map((n, i) => [n, found[i + 1] ?? '']));
    return target.replace(/\{([^}]+)\}/g, (whole, name: string) => values.get(name) ?? whole);
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
