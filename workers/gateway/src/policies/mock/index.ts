import { z } from 'zod';
import { HeaderName, HeaderValue } from '../../../../shared/revision.ts';
import type { SnapshotResponse } from '../../../../shared/snapshot.ts';
import { definePolicy, type InboundCall } from '../step.ts';
import { exampleFromSchema } from './generate.ts';

const Config = z.strictObject({
  status: z
    .string()
    .regex(/^[1-5]\d\d$/, 'A status code such as 200')
    .optional()
    .describe('The documented response to serve (default: the lowest 2xx, else `default`)'),
  example: z
    .string()
    .max(200)
    .optional()
    .describe(
      'The named example of that response to serve (default: its `example`, else the first named one, else one generated from its schema)',
    ),
  body: z
    .unknown()
    .optional()
    .describe("A fixed JSON body, served instead of the document's examples (for an API without an OpenAPI document)"),
  contentType: z
    .string()
    .max(200)
    .regex(/^[^\r\n\0]*$/)
    .optional(),
  headers: z.record(HeaderName, HeaderValue).default({}).describe('Headers the mock answer carries'),
  prefer: z.boolean().default(true).describe('Let callers pick a documented response with `Prefer: code=404` or `Prefer: example=name`'),
});
type Config = z.output<typeof Config>;

/** One answer, built once per snapshot: status, body text and where it came from. */
interface Answer {
  readonly status: number;
  readonly body: string | null;
  readonly contentType: string | null;
  readonly source: 'fixed' | 'example' | 'generated' | 'empty';
}

/**
 * Serves the operation from its OpenAPI document with no backend (WSO2's prototype APIs): the
 * documented example of the chosen response, or a value generated from its schema. Runs where the
 * backend would be called, so the call is still authenticated, authorized, throttled and counted;
 * the answer says it is a mock (`X-Turnpike-Mock`). Attached to an API, every operation is mocked.
 * Every answer is built when the snapshot is compiled; a call only picks one.
 */
export const mock = definePolicy({
  name: 'mock',
  description:
    "Answers from the operation's OpenAPI examples (or a value generated from its schema) without calling a backend, so consumers can try an API before it exists.",
  config: Config,
  readsOperation: true,
  build(config, { resource }) {
    const documented = resource.operation?.responses ?? [];
    const chosen = choose(documented, config.status);
    const answer = answerOf(config, chosen, config.example);
    // What a caller may pick with Prefer: every documented status, and every named example of each.
    const byCode = new Map<string, SnapshotResponse>(documented.map((r) => [r.status, r]));
    const headers = Object.entries(config.headers);
    return {
      backend(call: InboundCall) {
        const preference = config.prefer && config.body === undefined ? preferred(call.request.headers.get('prefer')) : null;
        let picked = answer;
        let applied: string | null = null;
        if (preference !== null) {
          const response =
            preference.code === undefined ? chosen : (byCode.get(preference.code) ?? byCode.get(`${preference.code[0] ?? ''}XX`));
          if (response !== undefined && (preference.example === undefined || preference.example in response.examples)) {
            picked = answerOf(config, response, preference.example);
            applied = [
              preference.code === undefined ? null : `code=${preference.code}`,
              preference.example === undefined ? null : `example=${preference.example}`,
            ]
              .filter((p) => p !== null)
              .join(', ');
          }
        }
        const out = new Headers(headers);
        if (picked.contentType !== null && picked.body !== null) out.set('content-type', picked.contentType);
        out.set('x-turnpike-mock', picked.source);
        // RFC 7240 §3: the server says which preferences it honoured.
        if (applied !== null) out.set('preference-applied', applied);
        return new Response(picked.body, { status: picked.status, headers: out });
      },
    };
  },
});

/** The configured status, else the lowest documented 2xx, else `default`, else none (an empty 200). */
function choose(responses: readonly SnapshotResponse[], status: string | undefined): SnapshotResponse | undefined {
  if (status !== undefined) return responses.find((r) => r.status === status) ?? responses.find((r) => r.status === `${status[0] ?? ''}XX`);
  const success = responses.filter((r) => /^2(\d\d|XX)$/.test(r.status)).sort((a, b) => a.status.localeCompare(b.status));
  return success[0] ?? responses.find((r) => r.status === 'default');
}

function answerOf(config: Config, response: SnapshotResponse | undefined, exampleName: string | undefined): Answer {
  const status = statusOf(config.status ?? response?.status);
  // RFC 9110 §15.3.5 / §15.4.5: 204 and 304 carry no content.
  if (status === 204 || status === 304 || status < 200) return { status, body: null, contentType: null, source: 'empty' };
  if (config.body !== undefined) return { status, ...render(config.body, config.contentType ?? 'application/json'), source: 'fixed' };
  if (response === undefined) return { status, body: null, contentType: null, source: 'empty' };
  const contentType = config.contentType ?? response.mediaType ?? 'application/json';
  const named = exampleName === undefined ? undefined : response.examples[exampleName];
  if (named !== undefined) return { status, ...render(named, contentType), source: 'example' };
  if (response.example !== undefined) return { status, ...render(response.example, contentType), source: 'example' };
  const first = Object.values(response.examples)[0];
  if (first !== undefined) return { status, ...render(first, contentType), source: 'example' };
  if (response.schema !== null) return { status, ...render(exampleFromSchema(response.schema), contentType), source: 'generated' };
  return { status, body: null, contentType: null, source: 'empty' };
}

function statusOf(status: string | undefined): number {
  if (status === undefined || status === 'default') return 200;
  if (/^[1-5]XX$/.test(status)) return Number(status[0]) * 100;
  return Number(status);
}

/** JSON media types get JSON; a string example for another type (text/plain, text/csv) is sent as it is. */
function render(value: unknown, contentType: string): { body: string; contentType: string } {
  const json = /^application\/([\w.+-]*\+)?json\s*(;|$)/i.test(contentType);
  return { body: !json && typeof value === 'string' ? value : JSON.stringify(value), contentType };
}

/** `Prefer: code=404, example=cat` (RFC 7240 §2 preferences, as Prism reads them); null when neither is asked. */
function preferred(header: string | null): { code?: string; example?: string } | null {
  if (header === null) return null;
  const out: { code?: string; example?: string } = {};
  for (const part of header.split(/[,;]/)) {
    const [name, raw] = part.split('=', 2).map((s) => s.trim());
    const value = raw?.replace(/^"(.*)"$/, '$1');
    if (value === undefined || value === '') continue;
    if (name?.toLowerCase() === 'code' && /^[1-5]\d\d$/.test(value)) out.code = value;
    if (name?.toLowerCase() === 'example') out.example = value;
  }
  return out.code === undefined && out.example === undefined ? null : out;
}
