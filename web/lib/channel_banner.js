// The shell's channel banner: while a channel is failing (GET /api/v1/channels), a line
// under the top bar says which, since when, the last error and the next try, with a
// link to the channels page. Updated by `channel` live events; hidden when all are ok.
import { h, replace } from './dom.js';
import { t } from './i18n.js';
import { api } from './api.js';
import { href } from './router.js';
import * as fmt from './format.js';

function channelLabel(name) {
  const key = `channel.${name}`;
  const text = t(key);
  return text === key ? name : text;
}

// Which side of a failing channel to describe: the one that fails.
function failingSide(c) {
  if (c.inbound && c.inbound.state === 'failing') return { side: c.inbound, dir: 'in' };
  return { side: c.outbound, dir: 'out' };
}

export function channelBanner(live) {
  const el = h('div', { class: 'channel-banner', role: 'alert', hidden: true });
  const failing = new Map();  // name -> channel as the API shows it

  function draw() {
    if (!failing.size) {
      el.hidden = true;
      replace(el);
      return;
    }
    el.hidden = false;
    replace(el, [...failing.values()].map((c) => {
      const { side, dir } = failingSide(c);
      return h('p', { dataset: { channel: c.name } },
        h('strong', null, t(`banner.chan.${dir}`, { channel: channelLabel(c.name), since: fmt.dateTime(side.since) })), ' ',
        side.error ? h('span', { class: 'chan-error' }, side.error) : null, ' ',
        side.next_retry ? t('chan.next_retry', { when: fmt.dateTime(side.next_retry) }) : null, ' ',
        h('a', { href: href('/channels') }, t('banner.chan.more')));
    }));
  }
  function apply(c) {
    if (c.state === 'failing') failing.set(c.name, c);
    else failing.delete(c.name);
    draw();
  }
  async function load() {
    try {
      const data = await api.get('/api/v1/channels');
      failing.clear();
      for (const c of data.channels || []) if (c.state === 'failing') failing.set(c.name, c);
      draw();
    } catch { /* not shown: the page itself reports a server that does not answer */ }
  }
  const unsubscribe = live.subscribe((name, data) => {
    if (name === 'channel') apply(data);
    else if (name === 'reconnect') load();
  });
  load();
  return { el, stop: unsubscribe };
}
