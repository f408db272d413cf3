// Managers' proposals ("not covered" notes) for the owner: each with its case, what
// happened and what the manager proposes; dismiss it, or record that it became a branch
// of a playbook version (and open that playbook in the studio).
import { h, replace } from '../lib/dom.js';
import { t, locale } from '../lib/i18n.js';
import { register, href, navigate } from '../lib/router.js';
import { api, query } from '../lib/api.js';
import './studio_strings.js';
import { useStudioStyles } from './studio_common.js';

const STATES = ['new', 'dismissed', 'branched', ''];

function stateLabel(p) {
  if (p.state === 'branched') return t('prop.state.label.branched', { playbook: p.playbook, version: p.version });
  return t(`prop.state.label.${p.state}`);
}

async function render(root, ctx) {
  useStudioStyles();
  const state = STATES.includes(ctx.query.state ?? 'new') ? (ctx.query.state ?? 'new') : 'new';
  const [{ proposals }, { playbooks }] = await Promise.all([
    api.get(`/api/v1/proposals${query({ state })}`), api.get('/api/v1/playbooks')]);
  const filter = h('nav', { class: 'tabs', 'aria-label': t('prop.filter') }, STATES.map((s) => h('a', {
    class: s === state ? 'tab active' : 'tab', href: s ? href('/proposals', { state: s }) : '#/proposals?state=', 'aria-current': s === state ? 'page' : null,
  }, t(`prop.state.${s}`))));

  const cards = proposals.map((p) => {
    const note = h('input', { type: 'text', 'aria-label': t('prop.note'), placeholder: t('prop.note') });
    const pbSelect = h('select', { 'aria-label': t('prop.playbook') }, playbooks.map((b) => h('option', { value: b.id, selected: b.id === p.playbook }, b.title || b.id)));
    const verSelect = h('select', { 'aria-label': t('prop.version') });
    const fillVersions = async () => {
      const { versions } = await api.get(`/api/v1/playbooks/${encodeURIComponent(pbSelect.value)}/versions`);
      replace(verSelect, versions.slice().reverse().map((v) => h('option', { value: String(v.version) }, `v${v.version}${v.deployed ? ' ✓' : ''}`)));
    };
    pbSelect.addEventListener('change', fillVersions);
    fillVersions().catch(() => {});
    const status = h('p', { class: 'status', role: 'status' });
    const act = async (what, body) => {
      try {
        await api.post(`/api/v1/proposals/${p.id}/${what}`, body);
        navigate('/proposals', { state });
      } catch (e) {
        status.textContent = e.message;
      }
    };
    const values = p.values || {};
    const row = (key, text) => (text ? h('div', { class: 'kv' }, h('dt', null, t(key)), h('dd', null, text)) : null);
    return h('article', { class: 'proposal', 'data-proposal': String(p.id) },
      h('header', null,
        h('a', { href: href(`/cases/${p.case}`) }, t('prop.case', { id: p.case })), ' · ',
        h('span', { class: 'muted' }, t('prop.by', { author: p.author || '—', at: new Date(p.at).toLocaleString(locale()) })),
        p.client ? h('span', { class: 'muted' }, ` · ${p.client}`) : null,
        ' ', h('span', { class: `badge state-${p.state}` }, stateLabel(p))),
      h('dl', null, row('prop.situation', values.situation), row('prop.actions', values.actions),
        row('prop.result', values.result), row('prop.proposal', values.proposal)),
      p.note ? h('p', { class: 'muted' }, p.note) : null,
      h('div', { class: 'actions' }, note,
        h('button', { type: 'button', onclick: () => act('dismiss', { note: note.value }) }, t('prop.dismiss')), ' ',
        pbSelect, verSelect,
        h('button', { type: 'button', class: 'primary', onclick: () => act('branch', { playbook: pbSelect.value, version: Number(verSelect.value), note: note.value }) }, t('prop.branch')), ' ',
        h('a', { href: href(`/studio/${encodeURIComponent(pbSelect.value)}`) }, t('prop.open.playbook'))),
      status);
  });
  replace(root, h('h1', null, t('prop.title')), h('p', { class: 'lead' }, t('prop.lead')), filter,
    cards.length ? h('div', { class: 'proposals', 'data-testid': 'proposals' }, cards) : h('p', null, t('prop.none')));
}

register({ id: 'proposals', path: '/proposals', roles: ['owner'], nav: { label: 'nav.proposals', order: 62 }, title: 'prop.title', render });
