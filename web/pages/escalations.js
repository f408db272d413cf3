// The director's escalation queue.
import { h, replace } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { register } from '../lib/router.js';
import { DIRECTORS } from '../lib/session.js';

async function render(root) {
  replace(root, h('h1', null, t('esc.title')));
}

register({ id: 'escalations', path: '/escalations', roles: DIRECTORS, nav: { label: 'nav.escalations', order: 20 }, title: 'esc.title', render });
