// The case page: the whole conversation across channels, the current step with its
// instruction, the step's controls (choices as buttons, the form with prepared values,
// task done/skip, the director's decisions, payment), the tariff check with the quota and
// the price, "what to do if…" situations, calls, visits and notes, and the full history.
import { h, replace, uid } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { api } from '../lib/api.js';
import { register, href } from '../lib/router.js';
import { STAFF, can, DIRECTORS } from '../lib/session.js';
import * as fmt from '../lib/format.js';
import { channelName, waitingText, dueText } from './inbox.js';

// Journal facts that are part of the conversation (the rest is history).
function conversation(journal) {
  const states = new Map();  // outbox n → delivery state
  for (const e of journal) {
    if (e.kind === 'message_sent') states.set(e.data.outbox, 'sent');
    if (e.kind === 'message_failed') states.set(e.data.outbox, e.data.dead ? 'dead' : 'failed');
  }
  const items = [];
  for (const e of journal) {
    const d = e.data || {};
    if (e.kind === 'message_received') items.push({ dir: 'in', at: e.at, channel: d.channel, who: d.sender_name || d.sender, text: d.text });
    else if (e.kind === 'message_queued') items.push({ dir: 'out', at: e.at, channel: d.channel, who: d.to, text: d.text, state: states.get(d.outbox) || 'queued', buttons: d.buttons });
    else if (e.kind === 'note_added') items.push({ dir: 'staff', at: e.at, kind: d.kind || 'note', who: d.actor, text: d.text });
    else if (e.kind === 'staff_notified') items.push({ dir: 'staff', at: e.at, kind: 'notified', who: d.to, text: d.text });
    else if (/call|visit/.test(e.kind)) items.push({ dir: 'staff', at: e.at, kind: e.kind, who: d.actor, text: d.text || d.summary || d.note || '' });
  }
  return items;
}

function historyLine(e) {
  const d = e.data || {};
  const key = `hist.${e.kind}`;
  const text = t(key, { ...d, step: e.step, option: d.option, reason: d.reason, decision: d.decision, to: d.to, outcome: d.outcome, number: d.number, amount: d.amount, for: d.for });
  return text === key ? `${e.kind}${e.step ? ` (${e.step})` : ''}` : text;
}

function tariffPanel(c) {
  const v = c.vars || {};
  if (!v.tariff_outcome) return null;
  // quota_used counts the requests before this one; quota_left is what remains after it.
  const limit = v.quota_limit;
  const used = typeof v.quota_left === 'number' && typeof limit === 'number' ? limit - v.quota_left : (v.quota_used ?? 0);
  const quota = limit === undefined || limit === null || limit < 0 ? t('tariff.quota.none') : t('tariff.quota', { used, limit });
  const outcome = t(`tariff.outcome.${v.tariff_outcome}`);
  const rows = [
    [t('tariff.service'), v.service_title || v.service || t('tariff.unknown')],
    [t('tariff.tariff'), v.tariff || (c.client && c.client.tariff) || '—'],
    [t('tariff.result'), outcome],
    [t('tariff.quota.label'), quota],
  ];
  if (v.list_price !== undefined && v.list_price !== '') rows.push([t('tariff.price'), `${fmt.money(v.list_price)}${v.unit ? ` ${v.unit}` : ''}`]);
  if (v.urgent_price && v.urgent_price !== v.list_price) rows.push([t('tariff.urgent'), fmt.money(v.urgent_price)]);
  if (v.confidence !== undefined) rows.push([t('tariff.confidence'), `${v.confidence}%${v.matched ? ` (${v.matched})` : ''}`]);
  return h('section', { class: 'card tariff', 'aria-labelledby': 'tariff-h' },
    h('h2', { id: 'tariff-h' }, t('tariff.title')),
    h('dl', null, rows.map(([k, val]) => [h('dt', null, k), h('dd', null, val)])));
}

async function render(root, ctx) {
  const id = Number(ctx.params.id);
  let data;
  let dirty = false;
  const flash = h('div', { role: 'status', 'aria-live': 'polite' });

  async function act(body, okText) {
    try {
      const payload = { ...body };
      if (ctx.user.login) payload.actor = ctx.user.login;
      await api.post(`/api/v1/cases/${id}/actions`, payload);
      dirty = false;
      await load();
      replace(flash, h('p', { class: 'notice' }, okText || t('case.done')));
    } catch (e) {
      replace(flash, h('p', { class: 'notice error', role: 'alert' }, t('error.action', { message: e.message })));
    }
  }

  function stepControls(c) {
    const step = c.step;
    if (!step || c.status === 'closed') return null;
    const parts = [];
    const choices = step.choices || [];
    if (step.kind === 'choice') {
      parts.push(h('div', { class: 'buttons choices', role: 'group', 'aria-label': t('case.choices') },
        choices.map((ch, i) => h('button', { type: 'button', class: i === 0 ? 'primary' : null, onclick: () => act({ action: 'choose', step: step.id, option: ch.label }) }, ch.label))));
    } else if (step.kind === 'form') {
      const inputs = [];
      const form = h('form', {
        class: 'step-form',
        oninput: () => { dirty = true; },
        onsubmit: (e) => {
          e.preventDefault();
          const values = {};
          for (const { field, input, numeric } of inputs) {
            const raw = input.value.trim();
            values[field.variable] = numeric && raw !== '' && !Number.isNaN(Number(raw.replace(',', '.'))) ? Number(raw.replace(',', '.')) : raw;
          }
          act({ action: 'submit', step: step.id, values });
        },
      });
      for (const field of step.fields || []) {
        const fid = uid('f');
        const current = c.vars ? c.vars[field.variable] : undefined;
        const numeric = typeof current === 'number';
        const long = !numeric && (field.type === 'text' || /текст|что|как|опиш|text|describe/i.test(field.label));
        const input = long
          ? h('textarea', { id: fid, name: field.variable }, current ?? '')
          : h('input', { id: fid, name: field.variable, inputmode: numeric ? 'decimal' : null, value: current ?? '' });
        if (long) input.value = current ?? '';
        inputs.push({ field, input, numeric });
        form.append(h('label', { for: fid }, field.label || field.variable), input);
      }
      form.append(h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, t('case.submit'))));
      parts.push(form);
    } else if (step.kind === 'task') {
      const reasonId = uid('reason');
      const reason = h('textarea', { id: reasonId, rows: 2, oninput: () => { dirty = true; } });
      parts.push(h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'primary', onclick: () => act({ action: 'done', step: step.id }) }, t('case.task.done'))));
      parts.push(h('details', { class: 'panel' }, h('summary', null, t('case.task.skip')),
        h('label', { for: reasonId }, t('case.task.reason')), reason,
        h('div', { class: 'buttons' }, h('button', { type: 'button', onclick: () => {
          if (!reason.value.trim()) { reason.focus(); replace(flash, h('p', { class: 'notice error', role: 'alert' }, t('case.task.reason.empty'))); return; }
          act({ action: 'skip', step: step.id, reason: reason.value.trim() });
        } }, t('case.task.skip.button')))));
    } else if (step.kind === 'escalate') {
      if (can(DIRECTORS)) {
        const noteId = uid('note');
        const note = h('textarea', { id: noteId, rows: 2 });
        parts.push(h('label', { for: noteId }, t('esc.note')), note,
          h('div', { class: 'buttons choices', role: 'group', 'aria-label': t('esc.decisions') },
            choices.filter((ch) => ch.key !== 'timeout').map((ch, i) => h('button', { type: 'button', class: i === 0 ? 'primary' : null, onclick: () => act({ action: 'decide', step: step.id, option: ch.label, reason: note.value.trim() || undefined }) }, ch.label))));
      } else {
        parts.push(h('p', { class: 'muted' }, t('case.escalate.wait')));
      }
    } else if (step.kind === 'wait_payment') {
      const amountId = uid('amount');
      const amount = h('input', { id: amountId, inputmode: 'decimal' });
      parts.push(h('label', { for: amountId }, t('case.paid.amount')), amount,
        h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'primary', onclick: () => {
          const raw = amount.value.trim().replace(',', '.');
          act({ action: 'paid', step: step.id, values: raw ? { amount: Number(raw) } : {} });
        } }, t('case.paid'))));
    } else if (step.kind === 'wait_client') {
      parts.push(h('p', { class: 'muted' }, t('case.wait.client')));
    } else if (step.kind === 'say' && step.editable) {
      // The playbook lets the manager read the prepared reply and change it before it goes.
      const replyId = uid('reply');
      const reply = h('textarea', { id: replyId, rows: 8, class: 'reply', oninput: () => { dirty = true; } });
      reply.value = step.prepared || '';
      const send = () => {
        if (!reply.value.trim()) { reply.focus(); replace(flash, h('p', { class: 'notice error', role: 'alert' }, t('case.reply.empty'))); return; }
        act({ action: 'send', step: step.id, values: { text: reply.value } }, t('case.reply.sent'));
      };
      parts.push(h('label', { for: replyId }, t('case.reply.label')), reply,
        (step.buttons || []).length ? h('p', { class: 'muted' }, t('case.reply.buttons', { buttons: step.buttons.join(' · ') })) : null,
        h('div', { class: 'buttons' },
          h('button', { type: 'button', class: 'primary', onclick: send }, t('case.reply.send')),
          h('button', { type: 'button', onclick: () => { reply.value = step.prepared || ''; dirty = false; } }, t('case.reply.reset'))));
    }
    return parts;
  }

  async function startSituation(playbook) {
    try {
      const body = { playbook, case: id };
      if (ctx.user.login) body.actor = ctx.user.login;
      const r = await api.post('/api/v1/situations', body);
      ctx.navigate(`/cases/${r.case}`);
    } catch (e) {
      replace(flash, h('p', { class: 'notice error', role: 'alert' }, t('error.action', { message: e.message })));
    }
  }

  function sidePanels(c, situations) {
    const panels = [];
    // What to do if…
    const sitId = uid('sit');
    const select = h('select', { id: sitId }, situations.map((p) => h('option', { value: p.id }, p.title)));
    panels.push(h('details', { class: 'panel', id: 'situations' }, h('summary', null, t('case.situation')),
      h('p', { class: 'muted small' }, t('case.situation.hint')),
      h('label', { for: sitId }, t('case.situation.which')), select,
      h('div', { class: 'buttons' }, h('button', { type: 'button', onclick: () => startSituation(select.value) }, t('case.situation.start')))));
    // Call, visit, note
    const logId = uid('log'), kindId = uid('kind');
    const kind = h('select', { id: kindId }, ['call', 'visit', 'note'].map((k) => h('option', { value: k }, t(`case.log.${k}`))));
    const text = h('textarea', { id: logId, rows: 3, oninput: () => { dirty = true; } });
    panels.push(h('details', { class: 'panel', id: 'log' }, h('summary', null, t('case.log')),
      h('label', { for: kindId }, t('case.log.kind')), kind,
      h('label', { for: logId }, t('case.log.text')), text,
      h('div', { class: 'buttons' }, h('button', { type: 'button', onclick: () => {
        const v = text.value.trim();
        if (!v) { text.focus(); return; }
        const prefix = kind.value === 'note' ? '' : `${t(`case.log.${kind.value}`)}: `;
        act({ action: 'note', reason: prefix + v }, t('case.log.saved'));
      } }, t('case.log.save')))));
    // Not covered by the instruction
    if (situations.some((p) => p.id === 'not_covered')) {
      panels.push(h('details', { class: 'panel', id: 'not-covered' }, h('summary', null, t('case.notcovered')),
        h('p', { class: 'muted small' }, t('case.notcovered.hint')),
        h('div', { class: 'buttons' }, h('button', { type: 'button', onclick: () => startSituation('not_covered') }, t('case.notcovered.start')))));
    }
    // Correct the service the tariff check found
    if (c.vars && c.vars.tariff_outcome && c.status === 'waiting_manager') {
      const sId = uid('svc');
      const svc = h('input', { id: sId, value: '', placeholder: c.vars.service || '' });
      panels.push(h('details', { class: 'panel', id: 'correct' }, h('summary', null, t('tariff.correct')),
        h('p', { class: 'muted small' }, t('tariff.correct.hint')),
        h('label', { for: sId }, t('tariff.correct.service')), svc,
        h('div', { class: 'buttons' }, h('button', { type: 'button', onclick: () => {
          if (!svc.value.trim()) { svc.focus(); return; }
          act({ action: 'correct', step: c.step ? c.step.id : undefined, values: { service: svc.value.trim() } }, t('tariff.corrected'));
        } }, t('tariff.correct.button')))));
    }
    return panels;
  }

  let situations = [];
  try { situations = (await api.get('/api/v1/situations')).playbooks || []; } catch { situations = []; }

  async function load() {
    data = await api.get(`/api/v1/cases/${id}`);
    const c = data.case;
    const convo = conversation(data.journal);
    const client = c.client ? (c.client.name || c.client.id) : (c.sender || t('inbox.unknown_client'));
    const summary = { ...c, waiting_for: c.status && c.status.startsWith('waiting_') ? c.status.slice(8) : '' };
    const slaKinds = ['first_reply', 'idle', 'deadline'].filter((k) => c.vars && c.vars[`sla_${k}`] && c.vars[`sla_${k}`] !== 'met');
    const stepBox = c.step
      ? h('section', { class: 'card step', 'aria-labelledby': 'step-h' },
        h('h2', { id: 'step-h' }, t('case.step'), ': ', c.step.title || c.step.id),
        c.step.prompt ? h('p', null, h('strong', null, c.step.prompt)) : null,
        c.step.instruction ? h('div', { class: 'instruction' }, c.step.instruction) : null,
        stepControls(c))
      : h('section', { class: 'card step' }, h('h2', null, t('case.step')), h('p', { class: 'muted' }, c.status === 'closed' ? t('case.closed', { outcome: c.outcome }) : '—'));
    replace(root,
      h('p', null, h('a', { href: href('/inbox') }, t('case.back'))),
      h('div', { class: 'page-head' }, h('h1', null, t('case.title', { id }), ' · ', client)),
      h('p', { class: 'muted' },
        [c.playbook, channelName(c.channel), waitingText(summary)].filter(Boolean).join(' · '),
        slaKinds.map((k) => h('span', { class: 'tag' }, `${t(`sla.${k}`)}: ${c.vars[`sla_${k}_due`] ? fmt.dateTime(c.vars[`sla_${k}_due`]) : ''} (${t(`sla.state.${c.vars[`sla_${k}`]}`)})`))),
      c.error ? h('p', { class: 'notice error', role: 'alert' }, c.error) : null,
      flash,
      h('div', { class: 'case-grid' },
        h('div', null,
          stepBox,
          h('section', { 'aria-labelledby': 'conv-h' }, h('h2', { id: 'conv-h' }, t('case.conversation')),
            convo.length ? h('ol', { class: 'conversation' }, convo.map((m) => h('li', { class: `msg ${m.dir}` },
              h('div', { class: 'meta' },
                h('span', null, m.dir === 'in' ? t('case.msg.in') : m.dir === 'out' ? t('case.msg.out') : t(`case.msg.${m.kind}`)),
                m.channel ? h('span', null, channelName(m.channel)) : null,
                m.who ? h('span', null, m.who) : null,
                h('time', { datetime: m.at }, fmt.dateTime(m.at)),
                m.state ? h('span', { class: `state-${m.state}` }, t(`outbox.${m.state}`)) : null),
              h('div', { class: 'text' }, m.text || ''),
              m.buttons && m.buttons.length ? h('div', { class: 'small muted' }, t('case.msg.buttons', { buttons: m.buttons.join(' · ') })) : null)))
              : h('p', { class: 'muted' }, t('case.conversation.empty')))),
        h('div', null,
          tariffPanel(c),
          sidePanels(c, situations),
          h('details', { class: 'panel history' }, h('summary', null, t('case.history')),
            h('ol', null, data.journal.map((e) => h('li', null, h('time', { datetime: e.at }, fmt.dateTime(e.at)), ' — ', historyLine(e))))))));
    document.title = `${t('case.title', { id })} — ${t('app.name')}`;
  }

  await load();
  let pending = null;
  ctx.live((name, d) => {
    if (!((name === 'case' && d.id === id) || (name === 'outbox' && d.case === id) || name === 'reconnect')) return;
    clearTimeout(pending);
    pending = setTimeout(() => {
      if (dirty) {
        replace(flash, h('p', { class: 'notice' }, t('case.changed'), ' ',
          h('button', { type: 'button', onclick: () => { dirty = false; load().catch(() => {}); } }, t('case.reload'))));
        return;
      }
      load().then(() => {
        // The focused control was replaced: keep keyboard users inside the page.
        if (document.activeElement === document.body) root.focus({ preventScroll: true });
      }).catch(() => {});
    }, 150);
  });
  ctx.onLeave(() => clearTimeout(pending));
}

register({ id: 'case', path: '/cases/:id', roles: STAFF, title: 'case.title', render });
