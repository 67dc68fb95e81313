/**
 * IP addresses as the gateway compares them (blocking conditions, API-key restrictions, throttle
 * conditions): one parser for both Workers, so the control plane refuses exactly what the gateway
 * could never match.
 */

/** The address's bytes (4 for IPv4, 16 for IPv6), or null when it is not one. */
export function parseIp(text: string): Uint8Array | null {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
    const parts = text.split('.').map(Number);
    return parts.every((p) => p <= 255) ? Uint8Array.from(parts) : null;
  }
  if (!text.includes(':')) return null;
  const [head = '', tail, extra] = text.split('::');
  if (extra !== undefined) return null;
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  // `::` stands for at least one group of zeros (RFC 4291 §2.2).
  if (tail !== undefined && h.length + t.length > 7) return null;
  const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8 || !groups.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return null;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}

/** An address, or a CIDR range `address/bits` whose prefix fits the address family. */
export function parseRange(text: string): { bytes: Uint8Array; bits: number } | null {
  const [base = '', bitsText, extra] = text.split('/');
  if (extra !== undefined) return null;
  const bytes = parseIp(base);
  if (bytes === null) return null;
  if (bitsText === undefined) return { bytes, bits: bytes.length * 8 };
  if (!/^\d{1,3}$/.test(bitsText)) return null;
  const bits = Number(bitsText);
  return bits <= bytes.length * 8 ? { bytes, bits } : null;
}
