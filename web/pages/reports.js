// The director's control points: is the instruction followed? First-reply time and
// deadline hit rate (working time) per manager and per client, steps done vs skipped with
// the reasons, escalations by reason, paid extra work and unpaid invoices, cases stuck
// longest. Period filter; charts are inline SVG.
import { h, replace, uid } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { api, query } from '../lib/api.js';
import { register, href } from '../lib/router.js';
import { DIRECTORS } from '../lib/session.js';
import { bars } from '../lib/chart.js';
import * as fmt from '../lib/format.js';

function rateText(r) { return r === null || r === undefined ? '—' : fmt.percent(r); }

function peopleTable(rows, keyTitle) {
  return h('div', { class: 'table-wrap' }, h('table', null,
    h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, keyTitle),
      h('th', { scope: 'col', class: 'num' }, t('rep.cases')),
      h('th', { scope: 'col', class: 'num' }, t('rep.first_reply')),
      h('th', { scope: 'col', class: 'num' }, t('rep.first_reply_rate')),
      h('th', { scope: 'col', class: 'num' }, t('rep.deadline_rate')))),
    h('tbody', null, rows.length ? rows.map((r) => h('tr', null,
      h('th', { scope: 'row' }, r.name),
      h('td', { class: 'num' }, r.cases),
      h('td', { class: 'num' }, r.avg_first_reply_minutes === null ? '—' : fmt.minutes(r.avg_first_reply_minutes)),
      h('td', { class: 'num' }, `${rateText(r.first_reply_hit_rate)} (${r.first_reply_met}/${r.first_reply_met + r.first_reply_missed})`),
      h('td', { class: 'num' }, `${rateText(r.deadline_hit_rate)} (${r.deadline_met}/${r.deadline_met + r.deadline_missed})`)))
      : h('tr', null, h('td', { colspan: '5', class: 'empty' }, t('rep.none'))))));
}

async function render(root, ctx) {
  const fromId = uid('from'), toId = uid('to');
  const from = h('input', { id: fromId, type: 'date', value: ctx.query.from || '' });
  const to = h('input', { id: toId, type: 'date', value: ctx.query.to || '' });
  const out = h('div', { class: 'report' });
  replace(root,
    h('h1', null, t('reports.title')),
    h('p', { class: 'muted' }, t('rep.intro')),
    h('form', { class: 'filters', onsubmit: (e) => { e.preventDefault(); ctx.navigate('/reports', { from: from.value, to: to.value }); } },
      h('div', null, h('label', { for: fromId }, t('rep.from')), from),
      h('div', null, h('label', { for: toId }, t('rep.to')), to),
      h('button', { type: 'submit', class: 'primary' }, t('rep.show')),
      h('button', { type: 'button', onclick: () => ctx.navigate('/reports') }, t('rep.this_month'))),
    out);

  async function load() {
    const r = await api.get(`/api/v1/reports/control-points${query({ from: ctx.query.from, to: ctx.query.to })}`);
    if (!from.value) from.value = r.period.from;
    if (!to.value) to.value = r.period.to;
    const steps = r.steps.by_step;
    replace(out,
      h('p', null, t('rep.period', { from: fmt.date(r.period.from), to: fmt.date(r.period.to), cases: r.cases })),
      h('div', { class: 'report-grid' },
        h('section', { class: 'card', id: 'rep-managers' }, h('h2', null, t('rep.by_manager')),
          bars(r.by_manager.map((m) => ({ label: m.name, value: Math.round((m.deadline_hit_rate ?? m.first_reply_hit_rate ?? 0) * 100), text: rateText(m.deadline_hit_rate ?? m.first_reply_hit_rate), tone: (m.deadline_hit_rate ?? m.first_reply_hit_rate ?? 1) < 0.8 ? 'bad' : 'ok' })), { max: 100, title: t('rep.by_manager') }),
          peopleTable(r.by_manager, t('rep.manager'))),
        h('section', { class: 'card', id: 'rep-clients' }, h('h2', null, t('rep.by_client')), peopleTable(r.by_client, t('rep.client'))),
        h('section', { class: 'card', id: 'rep-steps' }, h('h2', null, t('rep.steps')),
          h('div', { class: 'kpi' }, h('div', null, h('strong', null, r.steps.done), t('rep.steps.done')), h('div', null, h('strong', null, r.steps.skipped), t('rep.steps.skipped'))),
          steps.length ? bars(steps.map((s) => ({ label: s.step, value: s.skipped, text: `${s.skipped} / ${s.done + s.skipped}`, tone: s.skipped ? 'bad' : 'ok' })), { title: t('rep.steps') }) : null,
          h('ul', null, steps.flatMap((s) => s.reasons.map((x) => h('li', null, h('strong', null, s.step), ': ', x.reason || '—', ` (${x.count})`))))),
        h('section', { class: 'card', id: 'rep-escalations' }, h('h2', null, t('rep.escalations')),
          r.escalations.length ? bars(r.escalations.map((e) => ({ label: e.reason || '—', value: e.count })), { title: t('rep.escalations') }) : h('p', { class: 'muted' }, t('rep.none'))),
        h('section', { class: 'card', id: 'rep-money' }, h('h2', null, t('rep.money')),
          h('div', { class: 'kpi' },
            h('div', null, h('strong', null, fmt.money(r.paid.amount)), t('rep.paid.issued', { n: r.paid.invoices })),
            h('div', null, h('strong', null, fmt.money(r.paid.paid)), t('rep.paid.received')),
            h('div', null, h('strong', null, fmt.money(r.unpaid.amount)), t('rep.unpaid', { n: r.unpaid.count }))),
          r.unpaid.invoices.length ? h('div', { class: 'table-wrap' }, h('table', null,
            h('thead', null, h('tr', null, h('th', null, t('rep.invoice')), h('th', null, t('rep.client')), h('th', { class: 'num' }, t('rep.amount')), h('th', null, t('rep.due')))),
            h('tbody', null, r.unpaid.invoices.map((i) => h('tr', null,
              h('th', { scope: 'row' }, h('a', { href: href(`/cases/${i.case}`) }, i.number)),
              h('td', null, i.client_name || i.client),
              h('td', { class: 'num' }, fmt.money(i.amount - i.paid)),
              h('td', { class: i.overdue ? 'due overdue' : null }, i.due_date, i.overdue ? ` — ${t('rep.overdue')}` : '')))))) : null),
        h('section', { class: 'card', id: 'rep-stuck' }, h('h2', null, t('rep.stuck')),
          r.stuck.length ? h('ol', null, r.stuck.map((c) => h('li', null,
            h('a', { href: href(`/cases/${c.case}`) }, t('case.title', { id: c.case })), ' · ', c.client_name || c.client || '—', ' · ', c.step,
            h('span', { class: 'muted' }, ` — ${t('rep.idle', { time: fmt.minutes(c.idle_minutes) })}`)))) : h('p', { class: 'muted' }, t('rep.none')))));
  }
  await load();
  let pending = null;
  ctx.live((name) => {
    if (name !== 'case' && name !== 'reconnect') return;
    clearTimeout(pending);
    pending = setTimeout(() => load().catch(() => {}), 1000);
  });
  ctx.onLeave(() => clearTimeout(pending));
}

register({ id: 'reports', path: '/reports', roles: DIRECTORS, nav: { label: 'nav.reports', order: 30 }, title: 'reports.title', render });
