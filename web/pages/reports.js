// The director's control points.
import { h, replace } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { register } from '../lib/router.js';
import { DIRECTORS } from '../lib/session.js';

async function render(root) {
  replace(root, h('h1', null, t('reports.title')));
}

register({ id: 'reports', path: '/reports', roles: DIRECTORS, nav: { label: 'nav.reports', order: 30 }, title: 'reports.title', render });
