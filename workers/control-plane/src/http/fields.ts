import { z } from '@hono/zod-openapi';

// C0/C1 controls and DEL, the Unicode line/paragraph separators, the bidirectional overrides and
// isolates that make a name display as something else (CVE-2021-42574, "Trojan Source"), and the
// invisible ones that make two names look the same (zero-width space, word joiners, BOM, soft
// hyphen). ZWJ / ZWNJ stay: scripts such as Persian and Devanagari need them.
const INVISIBLE_OR_CONTROL = /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069\u200B\u2060-\u2064\uFEFF\u00AD]/u;

/**
 * A name people tell apart (an API, an application, a document, a policy's display name, …): one
 * place that makes every such field comparable. Normalised to NFC (Unicode UAX #15) before anything
 * compares or stores it, so `café` typed as e + U+0301 and as U+00E9 are one name; trimmed; no
 * control, separator or bidi characters, which no name needs and which let two names look alike.
 */
export function nameText(max: number) {
  return z
    .string()
    .normalize('NFC')
    .trim()
    .min(1)
    .max(max)
    .refine((s) => !INVISIBLE_OR_CONTROL.test(s), 'No control, line-separator, bidirectional-override or invisible characters');
}

/**
 * An absolute http(s) URL. Parsed once, inside the check, so that input the URL parser refuses is a
 * validation issue on this field and never an exception thrown out of a later refinement (zod runs
 * every check of a field even after one failed: a `refine(u => new URL(u)…)` threw on `http://a b`).
 */
export function httpUrl(max = 2048, options: { credentials?: 'refuse' } = {}) {
  return z
    .string()
    .max(max)
    .superRefine((value, ctx) => {
      const url = URL.canParse(value) ? new URL(value) : null;
      if (url === null) return void ctx.addIssue({ code: 'custom', message: 'An absolute URL, e.g. https://backend.example.com/api' });
      if (url.protocol !== 'http:' && url.protocol !== 'https:') ctx.addIssue({ code: 'custom', message: 'Only http and https URLs' });
      if (options.credentials === 'refuse' && (url.username !== '' || url.password !== ''))
        ctx.addIssue({ code: 'custom', message: 'Put credentials in endpoint security, not in the URL' });
    })
    .openapi({ format: 'uri' });
}
