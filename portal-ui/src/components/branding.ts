import { call } from '../api/client.ts';
import type { Branding } from '../api/types.ts';

/** The portal's branding, read once per page load from the control plane (no rebuild to change it). */
let current: Branding | null = null;

const FALLBACK: Branding = { portalName: 'Turnpike', logo: null, primaryColor: '#0b63ce', headerColor: '#ffffff', landingMarkdown: '' };

export function branding(): Branding {
  return current ?? FALLBACK;
}

/** Readable text on `hex`: near-black on light colours, white on dark ones (WCAG relative luminance). */
function inkOn(hex: string): string {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  const luminance = 0.2126 * (r ?? 0) + 0.7152 * (g ?? 0) + 0.0722 * (b ?? 0);
  return luminance > 0.4 ? '#1d2330' : '#ffffff';
}

/** Colours as CSS custom properties (CSSOM, which the CSP's `style-src 'self'` allows) and the page title. */
export function applyBranding(b: Branding): void {
  current = b;
  const root = document.documentElement.style;
  root.setProperty('--brand', b.primaryColor);
  root.setProperty('--header-bg', b.headerColor);
  const ink = inkOn(b.headerColor);
  root.setProperty('--header-ink', ink);
  // The name and the current tab in the primary colour on a light header, in the header's ink on a dark one.
  root.setProperty('--header-brand', ink === '#ffffff' ? ink : b.primaryColor);
  document.title = b.portalName;
}

/** Loads and applies the branding; a failure keeps the defaults (the portal works unbranded). */
export async function loadBranding(): Promise<void> {
  try {
    applyBranding(await call<Branding>('GET', '/api/devportal/v1/branding'));
  } catch {
    current = FALLBACK;
  }
}
