// The director's escalation queue: every case waiting at an escalate step, with the
// reason, the client, the manager's notes, the last messages and the playbook's decisions
// as buttons (POST actions decide); the case continues on the chosen branch.
import { h, replace, uid } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { api, query } from '../lib/api.js';
import { register, href } from '../lib/router.js';
import { DIRECTORS } from '../lib/session.js';
import * as fmt from '../lib/format.js';
import { channelName, dueText } from './inbox.js';

function card(row, detail, ctx, reload, flash) {
  const c = detail.case;
  const journal = detail.journal || [];
  const esc = [...journal].reverse().find((e) => e.kind === 'escalated');
  const reason = (esc && esc.data.reason) || (c.step && c.step.prompt) || '';
  const notes = journal.filter((e) => e.kind === 'note_added');
  const messages = journal.filter((e) => e.kind === 'message_received' || e.kind === 'message_queued').slice(-3);
  const noteId = uid('dnote');
  const note = h('textarea', { id: noteId, rows: 2 });
  const decisions = ((c.step && c.step.choices) || []).filter((ch) => ch.key !== 'timeout');
  async function decide(option) {
    try {
      const body = { action: 'decide', step: c.step.id, option };
      if (note.value.trim()) body.reason = note.value.trim();
      if (ctx.user.login) body.actor = ctx.user.login;
      await api.post(`/api/v1/cases/${c.id}/actions`, body);
      replace(flash, h('p', { class: 'notice' }, t('esc.decided', { id: c.id, option })));
      await reload();
    } catch (e) {
      replace(flash, h('p', { class: 'notice error', role: 'alert' }, t('error.action', { message: e.message })));
    }
  }
  const client = c.client ? (c.client.name || c.client.id) : (c.sender || t('inbox.unknown_client'));
  return h('article', { class: 'card escalation', dataset: { case: c.id }, 'aria-labelledby': `esc-${c.id}` },
    h('h2', { id: `esc-${c.id}` }, h('a', { href: href(`/cases/${c.id}`) }, t('case.title', { id: c.id })), ' · ', client),
    h('p', { class: 'muted small' }, [row.playbook_title || c.playbook, channelName(c.channel), c.assignee ? t('esc.manager', { who: c.assignee }) : '', dueText(row)].filter(Boolean).join(' · ')),
    h('p', null, h('strong', null, t('esc.reason')), ' ', reason),
    c.step && c.step.instruction ? h('div', { class: 'instruction' }, c.step.instruction) : null,
    notes.length ? [h('h3', null, t('esc.notes')), h('ul', null, notes.map((n) => h('li', null, n.data.text, ' ', h('span', { class: 'muted small' }, `— ${n.data.actor || ''} ${fmt.dateTime(n.at)}`))))] : null,
    messages.length ? [h('h3', null, t('esc.history')), h('ul', { class: 'history' }, messages.map((m) => h('li', null,
      h('span', { class: 'muted' }, `${m.kind === 'message_received' ? t('case.msg.in') : t('case.msg.out')}, ${fmt.dateTime(m.at)}: `), m.data.text)))] : null,
    h('label', { for: noteId }, t('esc.note')), note,
    h('div', { class: 'buttons choices', role: 'group', 'aria-label': t('esc.decisions') },
      decisions.map((d, i) => h('button', { type: 'button', class: i === 0 ? 'primary' : null, onclick: () => decide(d.label) }, d.label))));
}

async function render(root, ctx) {
  const list = h('div', { class: 'escalations' });
  const flash = h('div', { role: 'status', 'aria-live': 'polite' });
  const count = h('span', { class: 'count' });
  replace(root, h('h1', null, t('esc.title'), ' ', count), h('p', { class: 'muted' }, t('esc.intro')), flash, list);

  async function load() {
    const rows = (await api.get(`/api/v1/cases${query({ status: 'waiting_director', order: 'urgency', limit: 200 })}`)).cases || [];
    const details = await Promise.all(rows.map((r) => api.get(`/api/v1/cases/${r.id}`).catch(() => null)));
    const cards = [];
    rows.forEach((r, i) => {
      const d = details[i];
      if (d && d.case.step && d.case.step.kind === 'escalate') cards.push(card(r, d, ctx, load, flash));
    });
    count.textContent = `(${cards.length})`;
    replace(list, cards.length ? cards : h('p', { class: 'muted' }, t('esc.empty')));
  }
  await load();
  let pending = null;
  ctx.live((name) => {
    if (name !== 'case' && name !== 'reconnect') return;
    if (list.contains(document.activeElement) && document.activeElement.tagName === 'TEXTAREA') return;
    clearTimeout(pending);
    pending = setTimeout(() => load().catch(() => {}), 200);
  });
  ctx.onLeave(() => clearTimeout(pending));
}

register({ id: 'escalations', path: '/escalations', roles: DIRECTORS, nav: { label: 'nav.escalations', order: 20 }, title: 'esc.title', render });
