import { loadBranding } from './components/branding.ts';
import { otherwise, route, start } from './router.ts';
import { accountView, loginView } from './views/auth.ts';
import { apiPageView } from './views/developer/api-page.ts';
import { applicationsView } from './views/developer/applications.ts';
import { developerAlertsView } from './views/developer/alerts.ts';
import { catalogView } from './views/developer/catalog.ts';
import { homeView } from './views/home.ts';
import { usageView } from './views/developer/usage.ts';
import { adminView } from './views/admin/index.ts';
import { publisherApiView, type PublisherTab } from './views/publisher/api-detail.ts';
import { publisherApisView } from './views/publisher/apis.ts';
import { newApiView } from './views/publisher/new-api.ts';
import './style.css';

// Public: what an anonymous visitor may read (the control plane shows them PUBLIC APIs only).
route('/', homeView, { public: true });
route('/signin', loginView, { public: true });
route('/catalog', catalogView, { public: true });
route('/apis/:apiId', (p) => apiPageView(p, 'overview'), { public: true });
route('/apis/:apiId/docs', (p) => apiPageView(p, 'docs'), { public: true });
route('/apis/:apiId/reference', (p) => apiPageView(p, 'reference'), { public: true });
route('/account', accountView);
route('/applications', applicationsView);
route('/usage', usageView);
route('/usage/alerts', developerAlertsView);
route('/usage/:applicationId', usageView);
route('/publisher', publisherApisView);
route('/publisher/new', newApiView);
route('/publisher/apis/:apiId', (p) => publisherApiView(p, 'settings'));
route('/publisher/apis/:apiId/:tab', (p) => publisherApiView(p, (p['tab'] ?? 'settings') as PublisherTab));
route('/admin', adminView);
route('/admin/:tab', adminView);
otherwise(catalogView);
// The branding first, so the first paint already carries the portal's name and colours.
void loadBranding().finally(start);
