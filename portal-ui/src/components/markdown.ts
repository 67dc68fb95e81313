/**
 * A small Markdown renderer that builds DOM nodes and never parses HTML: raw HTML in a document is
 * shown as text, links keep only http(s), mailto and in-page targets (no javascript:, data: or
 * vbscript:), and images become links so documents cannot load third-party pixels. Covers what API
 * documents use: ATX headings, paragraphs, fenced and indented code, lists, quotes, rules, tables,
 * inline code, emphasis and links.
 */
import { h } from './dom.ts';

export function safeUrl(raw: string): string | null {
  // Browsers ignore control characters and whitespace inside a scheme ("java\tscript:"), so do we.
  // eslint-disable-next-line no-control-regex
  const url = raw.replace(/[\u0000-\u0020\u007f-\u009f]/g, '');
  if (/^(https?:|mailto:)/i.test(url)) return url;
  if (/^#/.test(url) || (/^\//.test(url) && !/^\/\//.test(url))) return url;
  return null;
}

export function markdown(source: string): HTMLElement {
  const root = h('div', { class: 'markdown' });
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] ?? '';
    if (line.trim() === '') {
      i++;
      continue;
    }
    const fence = /^\s*(```|~~~)/.exec(line);
    if (fence !== null) {
      const body: string[] = [];
      i++;
      while (i < lines.length && !(lines[i] ?? '').trimStart().startsWith(fence[1] ?? '```')) body.push(lines[i++] ?? '');
      i++;
      root.append(h('pre', {}, h('code', {}, body.join('\n'))));
      continue;
    }
    const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading !== null) {
      const level = Math.min(6, (heading[1] ?? '#').length + 1) as 2 | 3 | 4 | 5 | 6;
      root.append(inline(h(`h${level}`, {}), heading[2] ?? ''));
      i++;
      continue;
    }
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      root.append(h('hr', {}));
      i++;
      continue;
    }
    if (/^ {4}|^\t/.test(line)) {
      const body: string[] = [];
      while (i < lines.length && (/^ {4}|^\t/.test(lines[i] ?? '') || (lines[i] ?? '').trim() === ''))
        body.push((lines[i++] ?? '').replace(/^ {4}|^\t/, ''));
      root.append(h('pre', {}, h('code', {}, body.join('\n').trimEnd())));
      continue;
    }
    if (/^\s*>/.test(line)) {
      const body: string[] = [];
      while (i < lines.length && /^\s*>/.test(lines[i] ?? '')) body.push((lines[i++] ?? '').replace(/^\s*>\s?/, ''));
      const quote = markdown(body.join('\n'));
      root.append(h('blockquote', {}, ...Array.from(quote.childNodes)));
      continue;
    }
    const bullet = /^\s*([-*+]|\d+[.)])\s+/.exec(line);
    if (bullet !== null) {
      const ordered = /\d/.test(bullet[1] ?? '');
      const list = h(ordered ? 'ol' : 'ul', {});
      while (i < lines.length && /^\s*([-*+]|\d+[.)])\s+/.test(lines[i] ?? '')) {
        list.append(inline(h('li', {}), (lines[i++] ?? '').replace(/^\s*([-*+]|\d+[.)])\s+/, '')));
      }
      root.append(list);
      continue;
    }
    if (line.includes('|') && /^\s*\|?\s*:?-{3,}/.test(lines[i + 1] ?? '')) {
      const cells = (row: string) =>
        row
          .trim()
          .replace(/^\||\|$/g, '')
          .split('|')
          .map((c) => c.trim());
      const head = h('tr', {}, ...cells(line).map((c) => inline(h('th', {}), c)));
      i += 2;
      const body = h('tbody', {});
      while (i < lines.length && (lines[i] ?? '').includes('|') && (lines[i] ?? '').trim() !== '')
        body.append(h('tr', {}, ...cells(lines[i++] ?? '').map((c) => inline(h('td', {}), c))));
      root.append(h('table', {}, h('thead', {}, head), body));
      continue;
    }
    const para: string[] = [];
    while (
      i < lines.length &&
      (lines[i] ?? '').trim() !== '' &&
      !/^(#{1,6}\s|\s*```|\s*~~~|\s*>|\s*([-*+]|\d+[.)])\s+)/.test(lines[i] ?? '')
    )
      para.push((lines[i++] ?? '').trim());
    root.append(inline(h('p', {}), para.join(' ')));
  }
  return root;
}

// Link targets may hold one level of balanced parentheses, as URLs (and script payloads) do.
const INLINE =
  /`([^`]+)`|!\[([^\]]*)\]\(((?:[^()\s]|\([^()\s]*\))+)(?:\s+"[^"]*")?\)|\[([^\]]+)\]\(((?:[^()\s]|\([^()\s]*\))+)(?:\s+"[^"]*")?\)|\*\*([^*]+)\*\*|__([^_]+)__|\*([^*\s][^*]*)\*|_([^_\s][^_]*)_|<(https?:\/\/[^>\s]+)>/;

/** Appends `text` to `el` with inline Markdown, as text nodes and a few known elements only. */
export function inline<E extends HTMLElement>(el: E, text: string): E {
  let rest = text;
  for (let guard = 0; rest.length > 0 && guard < 10_000; guard++) {
    const m = INLINE.exec(rest);
    if (m === null) {
      el.append(rest);
      break;
    }
    if (m.index > 0) el.append(rest.slice(0, m.index));
    rest = rest.slice(m.index + m[0].length);
    const [, code, imgAlt, imgUrl, linkText, linkUrl, strong1, strong2, em1, em2, auto] = m;
    if (code !== undefined) el.append(h('code', {}, code));
    else if (imgUrl !== undefined) el.append(link(imgAlt === '' || imgAlt === undefined ? 'image' : `image: ${imgAlt}`, imgUrl));
    else if (linkUrl !== undefined) el.append(link(linkText ?? linkUrl, linkUrl));
    else if (strong1 !== undefined || strong2 !== undefined) el.append(inline(h('strong', {}), strong1 ?? strong2 ?? ''));
    else if (em1 !== undefined || em2 !== undefined) el.append(inline(h('em', {}), em1 ?? em2 ?? ''));
    else if (auto !== undefined) el.append(link(auto, auto));
  }
  return el;
}

function link(text: string, url: string): Node {
  const href = safeUrl(url);
  if (href === null) return document.createTextNode(text);
  const external = !href.startsWith('#') && !href.startsWith('/');
  return inline(h('a', { href, ...(external ? { rel: 'noopener noreferrer nofollow', target: '_blank' } : {}) }, ''), text);
}
