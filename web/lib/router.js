// Pages and the hash router. A page registers itself (see web/README.md):
//   register({id, path: '/cases/:id', roles: STAFF, nav: {label: 'nav.inbox', order: 10},
//             title: 'case.title', render(root, ctx) {...}})
// The URL is /#/cases/12; params come to render() as ctx.params. Pages whose roles do not
// include the user's are not in the navigation and show "no access" when opened.
const pages = [];

export function register(page) {
  if (!page.id || !page.path || typeof page.render !== 'function') throw new Error('register(): id, path and render are required');
  if (pages.some((p) => p.id === page.id)) throw new Error(`register(): page '${page.id}' twice`);
  const names = [];
  const pattern = page.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\?:(\w+)/g, (m, n) => {
    names.push(n);
    return '([^/]+)';
  });
  pages.push({ roles: ['manager', 'director', 'owner'], ...page, regex: new RegExp(`^${pattern}/?$`), names });
}

export function allPages() { return pages.slice(); }

export function navPages(role) {
  return pages.filter((p) => p.nav && p.roles.includes(role)).sort((a, b) => (a.nav.order ?? 100) - (b.nav.order ?? 100));
}

// The current location: "/cases/12" from "#/cases/12?x=1", with its query.
export function current() {
  const raw = decodeURI(location.hash.replace(/^#/, '')) || '/';
  const [path, q = ''] = raw.split('?');
  return { path: path || '/', query: Object.fromEntries(new URLSearchParams(q)) };
}

export function match(path) {
  for (const p of pages) {
    const m = p.regex.exec(path);
    if (m) {
      const params = {};
      p.names.forEach((n, i) => { params[n] = decodeURIComponent(m[i + 1]); });
      return { page: p, params };
    }
  }
  return null;
}

export function href(path, query) {
  const q = query ? new URLSearchParams(Object.entries(query).filter(([, v]) => v !== '' && v != null)).toString() : '';
  return `#${path}${q ? `?${q}` : ''}`;
}

export function navigate(path, query) {
  const target = href(path, query);
  if (location.hash === target) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = target;
}
