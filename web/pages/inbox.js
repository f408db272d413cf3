// The manager's inbox: open cases and tasks, the most urgent first (working time left to
// the nearest SLA due), with channel, client, current step and who waits for whom. The
// list reloads itself on live updates.
import { h, replace } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { api, query } from '../lib/api.js';
import { register, href } from '../lib/router.js';
import { STAFF } from '../lib/session.js';
import * as fmt from '../lib/format.js';

export function channelName(c) {
  const key = `channel.${c}`;
  const text = t(key);
  return text === key ? c : text;
}

export function waitingText(row) {
  return t(`waiting.${row.waiting_for || (row.status === 'closed' ? 'closed' : 'running')}`);
}

export function dueText(row) {
  if (row.sla_minutes_left === null || row.sla_minutes_left === undefined) return t('inbox.no_sla');
  const what = row.sla_kind ? `${t(`sla.${row.sla_kind}`)}: ` : '';
  return row.sla_minutes_left >= 0
    ? what + t('inbox.left', { time: fmt.minutes(row.sla_minutes_left) })
    : what + t('inbox.overdue', { time: fmt.minutes(-row.sla_minutes_left) });
}

function urgencyClass(row) {
  const m = row.sla_minutes_left;
  if (m === null || m === undefined) return 'due none';
  if (m < 0) return 'due overdue';
  if (m <= 60) return 'due soon';
  return 'due ok';
}

function caseLabel(row) {
  return row.kind === 'task' ? t('inbox.task.n', { id: row.id }) : t('inbox.case', { id: row.id });
}

async function render(root, ctx) {
  const mine = ctx.query.mine === '1';
  const status = h('p', { class: 'sr-only', role: 'status', 'aria-live': 'polite' });
  const body = h('tbody');
  const count = h('span', { class: 'count' });
  const mineBox = h('input', { type: 'checkbox', id: 'inbox-mine', checked: mine, onchange: () => ctx.navigate('/inbox', mineBox.checked ? { mine: '1' } : null) });
  replace(root,
    h('div', { class: 'page-head' }, h('h1', null, t('inbox.title'), ' ', count),
      ctx.user.login ? h('label', { class: 'inline' }, mineBox, ' ', t('inbox.filter.mine')) : null),
    h('p', { class: 'muted' }, t('inbox.intro')),
    h('div', { class: 'table-wrap' }, h('table', { class: 'inbox' },
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, t('inbox.col.case')),
        h('th', { scope: 'col' }, t('inbox.col.client')),
        h('th', { scope: 'col' }, t('inbox.col.channel')),
        h('th', { scope: 'col' }, t('inbox.col.step')),
        h('th', { scope: 'col' }, t('inbox.col.waiting')),
        h('th', { scope: 'col' }, t('inbox.col.due')))),
      body)),
    status);

  async function load(announce) {
    const data = await api.get(`/api/v1/cases${query({ open: 1, order: 'urgency', limit: 500, assignee: mine ? ctx.user.login : '' })}`);
    const rows = data.cases || [];
    count.textContent = `(${rows.length})`;
    if (!rows.length) {
      replace(body, h('tr', null, h('td', { colspan: '6', class: 'empty' }, t('inbox.empty'))));
    } else {
      replace(body, rows.map((r) => h('tr', { class: r.kind === 'task' ? 'task' : null, dataset: { case: r.id } },
        h('th', { scope: 'row' }, h('a', { href: href(`/cases/${r.id}`) }, caseLabel(r)),
          r.kind === 'task' ? h('span', { class: 'tag' }, t('inbox.task')) : null,
          h('div', { class: 'muted small' }, r.playbook_title || r.playbook)),
        h('td', null, r.client_name || r.client || h('span', { class: 'muted' }, r.sender || t('inbox.unknown_client'))),
        h('td', null, channelName(r.channel)),
        h('td', null, r.step_title || r.step),
        h('td', null, waitingText(r)),
        h('td', { class: urgencyClass(r) }, dueText(r)))));
    }
    if (announce) status.textContent = t('inbox.updated');
  }

  await load(false);
  let pending = null;
  ctx.live((name) => {
    if (name !== 'case' && name !== 'reconnect') return;
    clearTimeout(pending);
    pending = setTimeout(() => load(true).catch(() => {}), 150);
  });
  ctx.onLeave(() => clearTimeout(pending));
}

register({ id: 'inbox', path: '/inbox', roles: STAFF, nav: { label: 'nav.inbox', order: 10 }, title: 'inbox.title', render });
