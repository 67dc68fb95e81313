import { h } from '../../components/dom.ts';
import { layout } from '../../components/layout.ts';
import { alertsTab } from './alerts.ts';
import { applicationsTab } from './applications.ts';
import { approvalsTab } from './approvals.ts';
import { auditTab } from './audit.ts';
import { blockingTab } from './blocking.ts';
import { brandingTab } from './branding.ts';
import { environmentsTab } from './environments.ts';
import { policiesTab } from './policies.ts';
import { signingKeysTab } from './signing-keys.ts';
import { trustedIssuersTab } from './trusted-issuers.ts';
import { keyManagersTab } from './key-managers.ts';
import { ssoTab } from './sso.ts';
import { registrationTokensTab } from './registration-tokens.ts';
import { usersTab } from './users.ts';

export type AdminTab =
  | 'policies'
  | 'blocking'
  | 'environments'
  | 'users'
  | 'applications'
  | 'trusted-issuers'
  | 'key-managers'
  | 'sso'
  | 'registration-tokens'
  | 'signing-keys'
  | 'alerts'
  | 'approvals'
  | 'audit'
  | 'branding';
const TABS: Array<[AdminTab, string, () => Promise<HTMLElement>]> = [
  ['approvals', 'Approvals', approvalsTab],
  ['policies', 'Throttling policies', policiesTab],
  ['blocking', 'Blocking conditions', blockingTab],
  ['environments', 'Gateway environments', environmentsTab],
  ['users', 'Users & roles', usersTab],
  ['applications', 'Applications', applicationsTab],
  ['trusted-issuers', 'Trusted issuers', trustedIssuersTab],
  ['key-managers', 'Key managers', keyManagersTab],
  ['sso', 'Portal sign-in', ssoTab],
  ['registration-tokens', 'Client registration', registrationTokensTab],
  ['signing-keys', 'Signing keys', signingKeysTab],
  ['alerts', 'Alerts', alertsTab],
  ['audit', 'Audit log', auditTab],
  ['branding', 'Branding', async () => brandingTab()],
];

export async function adminView(params: Record<string, string>): Promise<void> {
  const tab = TABS.find(([t]) => t === params['tab']) ?? TABS[0];
  if (tab === undefined) return;
  const nav = h(
    'nav',
    { class: 'tabs', 'aria-label': 'Admin sections' },
    ...TABS.map(([t, label]) => h('a', { href: `#/admin/${t}`, ...(t === tab[0] ? { 'aria-current': 'page' } : {}) }, label)),
  );
  const body = await tab[2]();
  layout('Administration', nav, h('section', { id: `admin-${tab[0]}` }, body));
}
