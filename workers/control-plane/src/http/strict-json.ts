/**
 * The one JSON reader of the management APIs: a validating scanner run over the body before
 * `JSON.parse` ever sees it. `JSON.parse` alone keeps the last of two equal member names, accepts
 * escaped lone surrogates and NULs, and a deep enough document overflows the stack of whatever walks
 * it next (APISIX CVE-2022-25757 is the duplicate-key half of this class: two readers of one body
 * that disagree on its meaning). Refused here, with a JSON Pointer to the place at fault:
 *
 * - a byte-order mark (RFC 8259 §8.1: "MUST NOT add a byte order mark"),
 * - bytes that are not UTF-8 (RFC 8259 §8.1, I-JSON RFC 7493 §2.1),
 * - duplicate member names (RFC 8259 §4 "SHOULD be unique"; I-JSON §2.3 "MUST NOT"),
 * - lone surrogates, escaped or not (I-JSON §2.1),
 * - U+0000 in any string (no management field carries one; SQLite and C APIs truncate at it),
 * - nesting deeper than `maxDepth`.
 *
 * A hand-written scanner rather than a library: see docs/decisions/0020-strict-json-bodies.md.
 */

/** Deep enough for any real OpenAPI document, far short of what would exhaust a stack. */
export const MAX_JSON_DEPTH = 128;

export type StrictJsonResult = { ok: true; text: string } | { ok: false; pointer: string; detail: string };

export interface StrictJsonOptions {
  readonly maxDepth?: number;
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes `bytes` as UTF-8 (fatal on malformed input) and checks the text with `checkStrictJson`. */
export function readStrictJson(bytes: ArrayBuffer | Uint8Array, options: StrictJsonOptions = {}): StrictJsonResult {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return { ok: false, pointer: '', detail: 'The body is not valid UTF-8' };
  }
  return checkStrictJson(text, options);
}

class Refusal {
  readonly pointer: string;
  readonly detail: string;
  constructor(pointer: string, detail: string) {
    this.pointer = pointer;
    this.detail = detail;
  }
}

const NONCHARACTER = 'A string may not contain a Unicode noncharacter (RFC 7493 §2.1)';
/** U+FDD0..U+FDEF and the last two code points of every plane (Unicode §23.7). */
const isNoncharacter = (cp: number): boolean => (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) === 0xfffe;

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const NONCHARACTERS = new RegExp(
  `[\\u{FDD0}-\\u{FDEF}${Array.from({ length: 17 }, (_, plane) => `\\u{${(plane * 0x10000 + 0xfffe).toString(16)}}\\u{${(plane * 0x10000 + 0xffff).toString(16)}}`).join('')}]`,
  'u',
);
const wellFormed = (s: string): boolean => !LONE_SURROGATE.test(s) && !NONCHARACTERS.test(s);

/** Checks that `text` is one strict JSON value; on success `JSON.parse(text)` reads exactly what was checked. */
export function checkStrictJson(text: string, options: StrictJsonOptions = {}): StrictJsonResult {
  const maxDepth = options.maxDepth ?? MAX_JSON_DEPTH;
  if (text.charCodeAt(0) === 0xfeff)
    return { ok: false, pointer: '', detail: 'A byte-order mark is not allowed before JSON (RFC 8259 §8.1)' };
  let i = 0;
  const path: string[] = [];
  const pointer = (): string => path.map((p) => '/' + p.replace(/~/g, '~0').replace(/\//g, '~1')).join('');
  const fail = (detail: string): never => {
    throw new Refusal(pointer(), detail);
  };
  const ws = (): void => {
    for (;;) {
      const ch = text.charCodeAt(i);
      if (ch === 0x20 || ch === 0x09 || ch === 0x0a || ch === 0x0d) i++;
      else return;
    }
  };

  const string = (): string => {
    // text[i] is the opening quote.
    i++;
    let out = '';
    let start = i;
    for (;;) {
      if (i >= text.length) fail('Unterminated string');
      const ch = text.charCodeAt(i);
      if (ch === 0x22) {
        out += text.slice(start, i);
        i++;
        return out;
      }
      if (ch < 0x20)
        fail(ch === 0 ? 'A string may not contain U+0000' : 'Control characters must be escaped in JSON strings (RFC 8259 §7)');
      if (ch >= 0xd800 && ch <= 0xdbff) {
        const next = text.charCodeAt(i + 1);
        if (!(next >= 0xdc00 && next <= 0xdfff)) fail('A string may not contain a lone surrogate (RFC 7493 §2.1)');
        if (isNoncharacter(0x10000 + ((ch - 0xd800) << 10) + (next - 0xdc00))) fail(NONCHARACTER);
        i += 2;
        continue;
      }
      if (ch >= 0xdc00 && ch <= 0xdfff) fail('A string may not contain a lone surrogate (RFC 7493 §2.1)');
      if (isNoncharacter(ch)) fail(NONCHARACTER);
      if (ch !== 0x5c) {
        i++;
        continue;
      }
      out += text.slice(start, i);
      const esc = text[i + 1];
      i += 2;
      switch (esc) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          const unit = hex4(i);
          i += 4;
          if (unit === 0) fail('A string may not contain U+0000');
          if (unit >= 0xd800 && unit <= 0xdbff) {
            const low = text.startsWith('\\u', i) ? hex4(i + 2) : -1;
            if (!(low >= 0xdc00 && low <= 0xdfff)) fail('A string may not contain a lone surrogate (RFC 7493 §2.1)');
            if (isNoncharacter(0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00))) fail(NONCHARACTER);
            i += 6;
            out += String.fromCharCode(unit, low);
          } else if (unit >= 0xdc00 && unit <= 0xdfff) {
            fail('A string may not contain a lone surrogate (RFC 7493 §2.1)');
          } else {
            if (isNoncharacter(unit)) fail(NONCHARACTER);
            out += String.fromCharCode(unit);
          }
          break;
        }
        default:
          fail('Invalid escape in a JSON string');
      }
      start = i;
    }
  };

  const hex4 = (at: number): number => {
    const digits = text.slice(at, at + 4);
    if (!/^[0-9A-Fa-f]{4}$/.test(digits)) fail('Invalid \\u escape in a JSON string');
    return parseInt(digits, 16);
  };

  const number = (): void => {
    const match = /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
    match.lastIndex = i;
    const m = match.exec(text);
    if (m === null || m[0] === '' || m[0] === '-') fail('Invalid number');
    i += (m as RegExpExecArray)[0].length;
  };

  const literal = (word: string): void => {
    if (!text.startsWith(word, i)) fail('Unexpected token');
    i += word.length;
  };

  // Recursion is bounded by maxDepth, so a hostile document cannot exhaust the stack.
  const value = (depth: number): void => {
    ws();
    const ch = text[i];
    if (ch === '{' || ch === '[') {
      if (depth >= maxDepth) fail(`Nested deeper than ${maxDepth} levels`);
      i++;
      ws();
      const close = ch === '{' ? '}' : ']';
      if (text[i] === close) {
        i++;
        return;
      }
      const names = ch === '{' ? new Set<string>() : null;
      for (let index = 0; ; index++) {
        if (names !== null) {
          ws();
          if (text[i] !== '"') fail('Expected a member name');
          const name = string();
          path.push(name);
          if (names.has(name)) fail(`Duplicate member name "${name}" (RFC 8259 §4, RFC 7493 §2.3)`);
          names.add(name);
          ws();
          if (text[i] !== ':') fail('Expected ":"');
          i++;
        } else {
          path.push(String(index));
        }
        value(depth + 1);
        path.pop();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === close) {
          i++;
          return;
        }
        fail(`Expected "," or "${close}"`);
      }
    }
    if (ch === '"') {
      string();
      return;
    }
    if (ch === 't') return literal('true');
    if (ch === 'f') return literal('false');
    if (ch === 'n') return literal('null');
    if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) return number();
    fail(i >= text.length ? 'Unexpected end of JSON' : 'Unexpected token');
  };

  try {
    value(0);
    ws();
    if (i < text.length) fail('Unexpected data after the JSON value');
  } catch (err) {
    if (err instanceof Refusal) return { ok: false, pointer: err.pointer, detail: err.detail };
    throw err;
  }
  return { ok: true, text };
}

/**
 * The same rules for a value that did not come from JSON text (a YAML definition): strings well
 * formed and without U+0000, nesting at most `maxDepth`. Walks with its own stack, never recursion.
 */
export function checkStrictValue(root: unknown, options: StrictJsonOptions = {}): StrictJsonResult | { ok: true } {
  const maxDepth = options.maxDepth ?? MAX_JSON_DEPTH;
  const stack: Array<{ value: unknown; depth: number; pointer: string }> = [{ value: root, depth: 0, pointer: '' }];
  const seen = new Set<object>();
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value, depth, pointer } = item;
    if (typeof value === 'string') {
      if (!wellFormed(value))
        return { ok: false, pointer, detail: 'A string may not contain a lone surrogate or a noncharacter (RFC 7493 §2.1)' };
      if (value.includes('\u0000')) return { ok: false, pointer, detail: 'A string may not contain U+0000' };
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= maxDepth) return { ok: false, pointer, detail: `Nested deeper than ${maxDepth} levels` };
    // YAML aliases can make a graph; each node is checked once (and a cycle cannot loop forever).
    if (seen.has(value)) continue;
    seen.add(value);
    for (const [key, child] of Object.entries(value)) {
      const at = `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (!wellFormed(key) || key.includes('\u0000'))
        return { ok: false, pointer: at, detail: 'A member name must be well-formed Unicode without U+0000' };
      stack.push({ value: child, depth: depth + 1, pointer: at });
    }
  }
  return { ok: true };
}
