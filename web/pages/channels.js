// Channels: how each channel's servers are doing (GET /api/v1/channels: failing since
// when, the last error, the next retry, counters), the dead letters with "send again",
// and the inbound items no channel could read (channel errors) with "handled". Live:
// reloaded on `channel` and `outbox` events. The shell's banner (channel_banner.js)
// links here whenever a channel is failing.
import { h, replace } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { api, query } from '../lib/api.js';
import { register, href } from '../lib/router.js';
import { STAFF } from '../lib/session.js';
import * as fmt from '../lib/format.js';
import { channelName } from './inbox.js';

function stateBadge(state) {
  return h('span', { class: `health health-${state}` }, t(`chan.state.${state}`));
}

function sideCell(side, outbound) {
  if (!side) return h('td', { class: 'muted' }, '—');
  const lines = [stateBadge(side.state)];
  if (side.state === 'failing') {
    lines.push(h('div', { class: 'small' }, t('chan.failing_since', { when: fmt.dateTime(side.since) })));
    if (side.next_retry) lines.push(h('div', { class: 'small' }, t('chan.next_retry', { when: fmt.dateTime(side.next_retry) })));
  } else if (side.state === 'ok' && side.last_ok) {
    lines.push(h('div', { class: 'small muted' }, t('chan.last_ok', { when: fmt.dateTime(side.last_ok) })));
  }
  if (side.error) {
    lines.push(h('div', { class: side.state === 'failing' ? 'small error chan-error' : 'small muted chan-error' },
      side.state === 'failing' ? '' : t('chan.last_error', { when: fmt.dateTime(side.last_failure) }), ' ', side.error));
  }
  const counts = [t(outbound ? 'chan.count.sent' : 'chan.count.polls', { n: side.successes }),
    t('chan.count.failures', { n: side.failures })];
  if (outbound) counts.push(t('chan.count.dead', { n: side.dead }));
  lines.push(h('div', { class: 'small muted' }, counts.join(' · ')));
  if (outbound && side.last_dead_error) lines.push(h('div', { class: 'small muted chan-error' }, t('chan.last_dead'), ' ', side.last_dead_error));
  return h('td', null, lines);
}

function healthTable(data) {
  const rows = data.channels.map((c) => h('tr', { dataset: { channel: c.name }, class: c.state === 'failing' ? 'failing' : null },
    h('th', { scope: 'row' }, channelName(c.name), ' ', stateBadge(c.state)),
    sideCell(c.inbound, false),
    sideCell(c.outbound, true)));
  return h('div', { class: 'table-wrap' }, h('table', { class: 'channels' },
    h('caption', { class: 'sr-only' }, t('chan.health')),
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('chan.col.channel')), h('th', { scope: 'col' }, t('chan.col.inbound')), h('th', { scope: 'col' }, t('chan.col.outbound')))),
    h('tbody', null, rows.length ? rows : h('tr', null, h('td', { class: 'empty', colspan: 3 }, t('chan.none'))))));
}

function deadTable(rows, retry) {
  if (!rows.length) return h('p', { class: 'muted' }, t('chan.dead.none'));
  return h('div', { class: 'table-wrap' }, h('table', { class: 'dead-letters' },
    h('thead', null, h('tr', null, ['chan.col.case', 'chan.col.channel', 'chan.col.to', 'chan.col.reason', 'chan.col.action'].map((k) => h('th', { scope: 'col' }, t(k))))),
    h('tbody', null, rows.map((r) => h('tr', { dataset: { key: `c${r.case}-m${r.n}` } },
      h('td', null, h('a', { href: href(`/cases/${r.case}`) }, t('case.title', { id: r.case }))),
      h('td', null, channelName(r.channel)),
      h('td', null, r.to),
      h('td', { class: 'chan-error' }, r.last_error || ''),
      h('td', null, h('button', { type: 'button', onclick: () => retry(r) }, t('chan.dead.retry'))))))));
}

function errorsTable(rows, resolve) {
  if (!rows.length) return h('p', { class: 'muted' }, t('chan.errors.none'));
  return h('div', { class: 'table-wrap' }, h('table', { class: 'channel-errors' },
    h('thead', null, h('tr', null, ['chan.col.received', 'chan.col.channel', 'chan.col.reason', 'chan.col.action'].map((k) => h('th', { scope: 'col' }, t(k))))),
    h('tbody', null, rows.map((e) => h('tr', { dataset: { error: e.id } },
      h('td', null, fmt.dateTime(e.received_at)),
      h('td', null, channelName(e.channel)),
      h('td', null, h('div', { class: 'chan-error' }, e.reason),
        h('details', null, h('summary', null, t('chan.errors.raw', { size: e.raw_size })), h('pre', { class: 'raw' }, e.raw))),
      h('td', null, h('button', { type: 'button', onclick: () => resolve(e) }, t('chan.errors.resolve'))))))));
}

async function render(root, ctx) {
  const flash = h('div', { role: 'status', 'aria-live': 'polite' });
  const health = h('section', { 'aria-labelledby': 'chan-health' });
  const dead = h('section', { 'aria-labelledby': 'chan-dead' });
  const errors = h('section', { 'aria-labelledby': 'chan-errors' });
  replace(root, h('h1', null, t('chan.title')), h('p', { class: 'muted' }, t('chan.intro')), flash, health, dead, errors);

  async function act(f, done) {
    try {
      await f();
      replace(flash, h('p', { class: 'notice' }, done));
      await load();
    } catch (e) {
      replace(flash, h('p', { class: 'notice error', role: 'alert' }, t('error.action', { message: e.message })));
    }
  }
  const retry = (r) => act(() => api.post(`/api/v1/outbox/${r.case}/${r.n}/retry`, ctx.user.login ? { actor: ctx.user.login } : {}),
    t('chan.dead.retried', { id: r.case }));
  const resolve = (e) => act(() => api.post(`/api/v1/channel-errors/${e.id}/resolve`, ctx.user.login ? { actor: ctx.user.login } : {}),
    t('chan.errors.resolved'));

  async function load() {
    const [status, deadRows, errorRows] = await Promise.all([
      api.get('/api/v1/channels'),
      api.get(`/api/v1/outbox${query({ state: 'dead', limit: 200 })}`),
      api.get(`/api/v1/channel-errors${query({ limit: 200 })}`)]);
    replace(health, h('h2', { id: 'chan-health' }, t('chan.health')), healthTable(status));
    replace(dead, h('h2', { id: 'chan-dead' }, t('chan.dead.title'), ' ', h('span', { class: 'count' }, `(${deadRows.outbox.length})`)),
      h('p', { class: 'muted small' }, t('chan.dead.intro')), deadTable(deadRows.outbox, retry));
    replace(errors, h('h2', { id: 'chan-errors' }, t('chan.errors.title'), ' ', h('span', { class: 'count' }, `(${errorRows.open})`)),
      h('p', { class: 'muted small' }, t('chan.errors.intro')), errorsTable(errorRows.channel_errors, resolve));
  }
  await load();
  let pending = null;
  ctx.live((name) => {
    if (name !== 'channel' && name !== 'outbox' && name !== 'reconnect') return;
    clearTimeout(pending);
    pending = setTimeout(() => load().catch(() => {}), 300);
  });
  ctx.onLeave(() => clearTimeout(pending));
}

register({ id: 'channels', path: '/channels', roles: STAFF, nav: { label: 'nav.channels', order: 50 }, title: 'chan.title', render });
