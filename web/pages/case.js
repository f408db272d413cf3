// The case page (filled in below the shell's first slice).
import { h, replace } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { register, href } from '../lib/router.js';
import { STAFF } from '../lib/session.js';

async function render(root, ctx) {
  replace(root, h('p', null, h('a', { href: href('/inbox') }, t('case.back'))), h('h1', null, t('case.title', { id: ctx.params.id })));
}

register({ id: 'case', path: '/cases/:id', roles: STAFF, title: 'case.title', render });
