// The staff app's shell: session, top bar (name, role, RU/EN, live-update state, log out),
// navigation by role, and the router that renders the current page into <main>.
// Pages register themselves from web/pages/ (web/pages/index.js imports them all).
import { h, replace, clear } from './lib/dom.js';
import { t, getLang, setLang, onLangChange, LANGS } from './lib/i18n.js';
import { onUnauthenticated, ApiError } from './lib/api.js';
import { loadSession, session, user, logout, forget } from './lib/session.js';
import { navPages, match, current, navigate, href } from './lib/router.js';
import * as live from './lib/live.js';
import { channelBanner } from './lib/channel_banner.js';
import { renderLogin } from './pages/login.js';
import './pages/index.js';

const app = document.getElementById('app');
let main = null;
let leave = [];  // what the current page asked to undo when it is left

function roleName(role) { return t(`role.${role}`); }

function topBar() {
  const u = user();
  const links = navPages(u.role).map((p) => {
    const here = current().path.startsWith(p.nav.match || p.path.replace(/\/:.*$/, ''));
    return h('li', null, h('a', { href: href(p.nav.path || p.path), 'aria-current': here ? 'page' : null, class: here ? 'active' : null }, t(p.nav.label)));
  });
  const liveDot = h('span', { class: 'live', role: 'status' });
  const unsubscribe = live.onState((on) => {
    liveDot.className = on ? 'live on' : 'live off';
    liveDot.textContent = on ? t('live.on') : t('live.off');
    liveDot.title = on ? t('live.on.hint') : t('live.off.hint');
  });
  shellCleanup.push(unsubscribe);
  const langs = h('div', { class: 'langs', role: 'group', 'aria-label': t('lang.switch') },
    LANGS.map((l) => h('button', { type: 'button', class: l === getLang() ? 'lang active' : 'lang', 'aria-pressed': String(l === getLang()), lang: l, onclick: () => setLang(l) }, l.toUpperCase())));
  const who = u.open
    ? h('span', { class: 'who' }, h('span', { class: 'name' }, t('open.user')), h('span', { class: 'role' }, roleName(u.role)))
    : h('span', { class: 'who' }, h('span', { class: 'name' }, u.name || u.login), h('span', { class: 'role' }, roleName(u.role)));
  const out = u.open ? null : h('button', { type: 'button', class: 'link', onclick: async () => { await logout(); live.stop(); render(); } }, t('logout'));
  return h('header', { class: 'topbar' },
    h('a', { class: 'skip', href: '#main', onclick: (e) => { e.preventDefault(); main && main.focus(); } }, t('skip')),
    h('a', { class: 'brand', href: href('/') }, t('app.name')),
    h('nav', { 'aria-label': t('nav.label') }, h('ul', null, links)),
    h('div', { class: 'spacer' }),
    liveDot, who, langs, out);
}

let shellCleanup = [];

function renderShell() {
  for (const f of shellCleanup) f();
  shellCleanup = [];
  main = h('main', { id: 'main', tabindex: '-1' });
  const banner = session().mode === 'open' ? h('div', { class: 'banner', role: 'note' }, t('open.banner')) : null;
  const channels = channelBanner(live);
  shellCleanup.push(channels.stop);
  replace(app, topBar(), banner, channels.el, main);
}

async function renderPage() {
  for (const f of leave) { try { f(); } catch (e) { console.error(e); } }
  leave = [];
  const u = user();
  let { path, query } = current();
  if (path === '/') {
    const first = navPages(u.role)[0];
    if (first) return navigate(first.nav.path || first.path);
  }
  const found = match(path);
  clear(main);
  if (!found) {
    main.append(h('h1', null, t('notfound.title')), h('p', null, t('notfound.text', { path })));
    return;
  }
  const { page, params } = found;
  document.title = `${page.title ? t(page.title) : t(page.nav ? page.nav.label : page.id)} — ${t('app.name')}`;
  if (!page.roles.includes(u.role)) {
    main.append(h('h1', null, t('forbidden.title')), h('p', { class: 'error' }, t('forbidden.text', { role: roleName(u.role) })));
    return;
  }
  const ctx = {
    params, query, user: u, navigate,
    // The page's live-update handler, dropped when the page is left.
    live(f) { leave.push(live.subscribe(f)); },
    onLeave(f) { leave.push(f); },
  };
  try {
    await page.render(main, ctx);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;
    console.error(e);
    main.append(h('p', { class: 'error', role: 'alert' }, t('error.page', { message: e.message })));
  }
  const heading = main.querySelector('h1');
  if (heading && document.activeElement === document.body) heading.setAttribute('tabindex', '-1');
}

async function render() {
  const s = session();
  if (!s || !s.user) {
    for (const f of shellCleanup) f();
    shellCleanup = [];
    live.stop();
    renderLogin(app, async () => { await loadSession(); render(); });
    return;
  }
  live.start();
  renderShell();
  await renderPage();
}

window.addEventListener('hashchange', async () => {
  if (!user()) return;
  renderShell();  // the navigation marks the current page
  await renderPage();
  if (main) main.focus({ preventScroll: true });
});
onLangChange(() => render());
onUnauthenticated(() => { forget(); render(); });

(async function boot() {
  try {
    await loadSession();
  } catch (e) {
    replace(app, h('p', { class: 'error', role: 'alert' }, t('error.boot', { message: e.message })));
    return;
  }
  await render();
})();
