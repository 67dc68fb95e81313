import { otherwise, route, start } from './router.ts';
import { accountView, loginView } from './views/auth.ts';
import { applicationsView } from './views/developer/applications.ts';
import { catalogView } from './views/developer/catalog.ts';
import { publisherApisView } from './views/publisher/apis.ts';
import './style.css';

route('/signin', loginView, { public: true });
route('/account', accountView);
route('/catalog', catalogView);
route('/applications', applicationsView);
route('/publisher', publisherApisView);
otherwise(catalogView, loginView);
start();
