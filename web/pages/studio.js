// The owner's playbook studio: the list of playbooks, and a playbook's editor with live
// validation (the daemon's validator: errors at line and column), its graph, the diff
// against the deployed version, a rehearsal with a simulated client and clock, its
// conversation tests, deploy with confirmation, and the history of versions.
import { h, replace, clear } from '../lib/dom.js';
import { t, locale } from '../lib/i18n.js';
import { register, href } from '../lib/router.js';
import { api } from '../lib/api.js';
import { codeEditor, problemList } from '../lib/code_editor.js';
import { diffLines } from '../lib/line_diff.js';
import './studio_strings.js';
import { useStudioStyles, debounce, svgFromServer, diffTable } from './studio_common.js';

const OWNER = ['owner'];
const enc = encodeURIComponent;

function triggerText(tr) {
  const parts = [];
  if (tr.channels && tr.channels.length) parts.push(t('studio.trigger.message', { channels: tr.channels.join(', ') }));
  if (tr.schedule) parts.push(t('studio.trigger.schedule', { rule: tr.schedule }));
  if (tr.situation) parts.push(t('studio.trigger.situation'));
  if (tr.manual) parts.push(t('studio.trigger.manual'));
  return parts.join('; ');
}

async function renderList(root) {
  useStudioStyles();
  const { playbooks } = await api.get('/api/v1/playbooks');
  const rows = playbooks.map((p) => h('tr', null,
    h('td', null, h('a', { href: href(`/studio/${enc(p.id)}`), 'data-playbook': p.id }, p.title || p.id),
      h('div', { class: 'muted' }, p.id)),
    h('td', null, triggerText(p.trigger)),
    h('td', { class: 'num' }, String(p.version)),
    h('td', { class: 'num' }, String(p.versions))));
  replace(root,
    h('h1', null, t('studio.title')),
    h('p', { class: 'lead' }, t('studio.lead')),
    h('table', { class: 'grid studio-list' },
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, t('studio.col.title')), h('th', { scope: 'col' }, t('studio.col.trigger')),
        h('th', { scope: 'col' }, t('studio.col.version')), h('th', { scope: 'col' }, t('studio.col.versions')))),
      h('tbody', null, rows)));
}

// --- The editor page -----------------------------------------------------------------

function tabs(names, onPick) {
  const buttons = {};
  const bar = h('div', { class: 'tabs', role: 'tablist' }, names.map((n) => {
    buttons[n] = h('button', { type: 'button', role: 'tab', class: 'tab', 'data-tab': n, 'aria-selected': 'false', onclick: () => onPick(n) }, t(`studio.tab.${n}`));
    return buttons[n];
  }));
  bar.addEventListener('keydown', (e) => {  // arrows move between tabs
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    const i = names.findIndex((n) => buttons[n] === document.activeElement);
    if (i < 0) return;
    const next = names[(i + (e.key === 'ArrowRight' ? 1 : names.length - 1)) % names.length];
    buttons[next].focus();
    onPick(next);
  });
  return {
    el: bar,
    select(n) {
      for (const [k, b] of Object.entries(buttons)) {
        b.setAttribute('aria-selected', String(k === n));
        b.className = k === n ? 'tab active' : 'tab';
      }
    },
  };
}

async function renderEditor(root, ctx) {
  useStudioStyles();
  const id = ctx.params.id;
  let deployed = (await api.get(`/api/v1/playbooks/${enc(id)}`)).playbook;
  let lastCheck = null;
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite', 'data-testid': 'status' });
  const summary = h('p', { class: 'summary', 'data-testid': 'summary' });
  const problemsBox = h('div', { class: 'problems-box' });
  const versionBadge = h('span', { class: 'badge', 'data-testid': 'deployed-version' });
  const confirmBox = h('div', { class: 'confirm', hidden: true, role: 'alertdialog', 'aria-live': 'assertive' });

  const editor = codeEditor({ value: deployed.source, label: t('studio.editor.label'), onInput: () => check.schedule() });

  function showVersion() { versionBadge.textContent = t('studio.version', { version: deployed.version }); }
  showVersion();

  async function validate() {
    const text = editor.value;
    status.textContent = t('studio.checking');
    try {
      const r = await api.post(`/api/v1/playbooks/${enc(id)}/validate`, { yaml: text });
      if (editor.value !== text) return r;  // typed on meanwhile: a newer check follows
      lastCheck = r;
      editor.mark(r.diagnostics);
      summary.textContent = t('studio.summary', { errors: r.errors, warnings: r.warnings });
      summary.className = r.errors ? 'summary bad' : 'summary good';
      replace(problemsBox, problemList(r.diagnostics, editor));
      status.textContent = '';
      return r;
    } catch (e) {
      status.textContent = e.message;
      throw e;
    }
  }
  const check = debounce(validate, 400);

  // Deploy: confirm first, then POST with the version the draft was made from.
  async function askDeploy() {
    const r = await validate();
    if (r.errors) {
      status.textContent = t('studio.deploy.errors');
      const first = r.diagnostics.find((d) => d.level === 'error' && d.line);
      if (first) editor.goTo(first.line, first.column);
      return;
    }
    if (editor.value === deployed.source) {
      status.textContent = t('studio.unchanged');
      return;
    }
    confirmBox.hidden = false;
    const yes = h('button', { type: 'button', class: 'primary', 'data-testid': 'confirm-deploy', onclick: doDeploy }, t('studio.deploy.yes'));
    replace(confirmBox,
      h('p', null, t('studio.deploy.confirm', { version: deployed.version + 1, old: deployed.version })),
      yes, ' ',
      h('button', { type: 'button', onclick: () => { confirmBox.hidden = true; } }, t('studio.deploy.no')));
    yes.focus();
  }
  async function doDeploy() {
    confirmBox.hidden = true;
    try {
      const r = await api.post(`/api/v1/playbooks/${enc(id)}/deploy`, { yaml: editor.value, base_version: deployed.version });
      deployed = (await api.get(`/api/v1/playbooks/${enc(id)}`)).playbook;
      showVersion();
      status.textContent = t('studio.deploy.done', { version: r.version });
      if (current === 'history' || current === 'diff') show(current);
    } catch (e) {
      status.textContent = e.message;
    }
  }

  const panel = h('div', { class: 'tab-panel', role: 'tabpanel' });
  let current = 'text';
  const textPanel = h('div', { class: 'text-panel' }, editor.el, summary, problemsBox);
  const bar = tabs(['text', 'graph', 'diff', 'rehearse', 'tests', 'history'], (n) => show(n));

  async function show(name) {
    current = name;
    bar.select(name);
    if (name === 'text') {
      replace(panel, textPanel);
      return;
    }
    clear(panel);
    try {
      if (name === 'graph') await showGraph();
      else if (name === 'diff') showDiff();
      else if (name === 'rehearse') showRehearsal();
      else if (name === 'tests') showTests();
      else if (name === 'history') await showHistory();
    } catch (e) {
      panel.append(h('p', { class: 'error', role: 'alert' }, e.message));
    }
  }

  async function showGraph() {
    const box = h('div', { class: 'graph-box', 'data-testid': 'graph' });
    panel.append(h('p', { class: 'lead' }, t('studio.graph.lead')),
      h('button', { type: 'button', onclick: () => show('graph') }, t('studio.graph.refresh')), box);
    const { graph } = await api.post(`/api/v1/playbooks/${enc(id)}/graph`, { yaml: editor.value, format: 'json' });
    const svg = svgFromServer(graph.svg);
    for (const node of svg.querySelectorAll('g.node')) {
      const line = Number(node.getAttribute('data-line'));
      if (!line) continue;
      node.setAttribute('tabindex', '0');
      node.setAttribute('role', 'button');
      const go = () => { show('text'); editor.goTo(line, 1); };
      node.addEventListener('click', go);
      node.addEventListener('keydown', (e) => { if (e.key === 'Enter') go(); });
    }
    box.append(svg);
    if (graph.diagnostics && graph.diagnostics.some((d) => d.level === 'error')) box.append(problemList(graph.diagnostics, editor));
  }

  function showDiff() {
    const lines = diffLines(deployed.source, editor.value);
    const added = lines.filter((l) => l.op === '+').length;
    const removed = lines.filter((l) => l.op === '-').length;
    if (!added && !removed) {
      panel.append(h('p', { 'data-testid': 'diff-none' }, t('studio.diff.none', { version: deployed.version })));
      return;
    }
    panel.append(h('p', null, t('studio.diff.lead', { version: deployed.version, added, removed })),
      h('button', { type: 'button', onclick: () => { editor.value = deployed.source; check.now(); show('text'); } }, t('studio.revert')));
    const table = diffTable(lines);
    panel.append(table);
  }

  function showTests() {
    const all = h('input', { type: 'checkbox', id: 'tests-all' });
    const out = h('div', { class: 'tests-out', 'data-testid': 'tests' });
    const run = h('button', { type: 'button', class: 'primary', onclick: async () => {
      run.disabled = true;
      replace(out, h('p', { role: 'status' }, t('studio.tests.running')));
      try {
        const r = await api.post(`/api/v1/playbooks/${enc(id)}/tests`, { yaml: editor.value, all: all.checked });
        replace(out, testReport(r));
      } catch (e) {
        replace(out, h('p', { class: 'error', role: 'alert' }, e.message));
      } finally {
        run.disabled = false;
      }
    } }, t('studio.tests.run'));
    panel.append(h('p', null, run, ' ', all, h('label', { for: 'tests-all' }, ` ${t('studio.tests.all')}`)), out);
  }

  async function showHistory() {
    const { versions } = await api.get(`/api/v1/playbooks/${enc(id)}/versions`);
    const viewer = h('div', { class: 'viewer' });
    const list = h('ol', { class: 'history', 'data-testid': 'history', reversed: true }, versions.slice().reverse().map((v) => h('li', { 'data-version': String(v.version) },
      h('strong', null, `v${v.version}`), ' ',
      h('span', { class: 'muted' }, new Date(v.loaded_at).toLocaleString(locale())), ' ',
      v.deployed ? h('span', { class: 'badge' }, t('studio.history.deployed')) : null, ' ',
      h('button', { type: 'button', class: 'link', onclick: async () => {
        const { version } = await api.get(`/api/v1/playbooks/${enc(id)}/versions/${v.version}`);
        const ro = codeEditor({ value: version.source, readOnly: true, label: `v${v.version}` });
        replace(viewer, h('h3', null, `v${v.version}`),
          h('button', { type: 'button', onclick: () => { editor.value = version.source; check.now(); show('text'); } }, t('studio.history.load')),
          ro.el);
      } }, t('studio.history.view')))));
    panel.append(h('p', { class: 'lead' }, t('studio.history.lead')), list, viewer);
  }

  function showRehearsal() {
    const out = h('div', { class: 'rehearsal', 'data-testid': 'rehearsal' });
    const start = h('button', { type: 'button', class: 'primary', onclick: async () => {
      try {
        const { rehearsal } = await api.post('/api/v1/rehearsals', { playbook: id, yaml: editor.value, channel: 'email' });
        drawRehearsal(out, rehearsal);
        ctx.onLeave(() => api.del(`/api/v1/rehearsals/${rehearsal.id}`).catch(() => {}));
      } catch (e) {
        replace(out, h('p', { class: 'error', role: 'alert' }, e.message));
      }
    } }, t('studio.reh.start'));
    panel.append(h('p', { class: 'lead' }, t('studio.reh.lead')), start, out);
  }

  replace(root,
    h('p', null, h('a', { href: href('/studio') }, `← ${t('studio.title')}`)),
    h('h1', null, t('studio.editor.title', { title: deployed.title || id })),
    h('div', { class: 'toolbar' }, versionBadge,
      h('button', { type: 'button', onclick: () => validate() }, t('studio.validate')),
      h('button', { type: 'button', class: 'primary', 'data-testid': 'deploy', onclick: askDeploy }, t('studio.deploy'))),
    confirmBox, status, bar.el, panel);
  show('text');
  validate().catch(() => {});
}

function testReport(r) {
  if (!r.files.length) return h('p', null, t('studio.tests.none'));
  const items = r.results.map((x) => h('li', { class: x.passed ? 'pass' : 'fail' },
    h('span', { class: 'badge' }, x.passed ? t('studio.tests.pass') : t('studio.tests.fail')), ' ', x.story,
    x.failures.length ? h('ul', null, x.failures.map((f) => h('li', { class: 'failure' }, `${f.file}:${f.line}: ${f.message}`))) : null));
  const missed = [];
  for (const c of r.coverage) for (const m of c.missed) missed.push(h('li', null, m));
  return h('div', null,
    h('p', { class: r.ok ? 'summary good' : 'summary bad', 'data-testid': 'tests-summary' }, t('studio.tests.summary', { stories: r.stories, passed: r.passed, failed: r.failed })),
    r.problems.length ? h('ul', { class: 'problems' }, r.problems.map((d) => h('li', { class: 'problem error' }, d.text))) : null,
    h('ul', { class: 'stories' }, items),
    missed.length ? h('div', null, h('p', null, t('studio.tests.missed')), h('ul', null, missed)) : null);
}

// --- Rehearsal panel ------------------------------------------------------------------

function drawRehearsal(out, st) {
  const rid = st.id;
  const post = async (what, body) => {
    try {
      const { rehearsal } = await api.post(`/api/v1/rehearsals/${rid}/${what}`, body);
      drawRehearsal(out, rehearsal);
    } catch (e) {
      out.append(h('p', { class: 'error', role: 'alert' }, e.message));
    }
  };
  const log = h('ol', { class: 'reh-log' }, st.log.map((e) => h('li', { class: `who-${e.who}` },
    h('span', { class: 'at' }, e.at.replace('T', ' ')), ' ',
    h('strong', null, t(`studio.reh.who.${e.who}`)), e.to && e.who === 'staff' ? ` (${e.to})` : '', ': ',
    h('span', { class: 'text' }, e.text),
    e.buttons && e.buttons.length ? h('span', { class: 'buttons' }, e.buttons.map((b) => h('button', { type: 'button', class: 'chip', onclick: () => post('messages', { text: b }) }, b))) : null)));

  const msg = h('input', { type: 'text', 'aria-label': t('studio.reh.say'), placeholder: t('studio.reh.say'), 'data-testid': 'reh-message' });
  const say = h('form', { class: 'reh-say', onsubmit: (e) => { e.preventDefault(); if (msg.value.trim()) post('messages', { text: msg.value }); } },
    msg, h('button', { type: 'submit' }, t('studio.reh.send')));
  const by = h('input', { type: 'text', 'aria-label': t('studio.reh.by'), placeholder: t('studio.reh.by') });
  const clock = h('div', { class: 'reh-clock' },
    h('span', null, t('studio.reh.clock', { clock: st.clock.replace('T', ' ') })), ' ',
    h('button', { type: 'button', onclick: () => post('advance', {}) }, t('studio.reh.wait')), ' ',
    by, h('button', { type: 'button', onclick: () => by.value.trim() && post('advance', { by: by.value.trim() }) }, t('studio.reh.advance')));

  let stepBox;
  const c = st.case;
  if (!c) stepBox = h('p', null, t('studio.reh.nocase'));
  else if (c.closed) stepBox = h('p', { class: 'summary good' }, t('studio.reh.closed', { outcome: c.outcome }));
  else if (c.step) {
    const s = c.step;
    const act = [];
    if (s.kind === 'form') {
      const inputs = s.fields.map((f) => {
        const input = h('input', { type: 'text', name: f.variable });
        return { f, input, row: h('label', { class: 'field' }, h('span', null, f.label), input) };
      });
      act.push(h('form', { onsubmit: (e) => {
        e.preventDefault();
        const values = {};
        for (const { f, input } of inputs) values[f.variable] = input.value;
        post('actions', { action: 'submit', step: s.id, values });
      } }, inputs.map((x) => x.row), h('button', { type: 'submit' }, t('studio.reh.submit'))));
    } else if (s.kind === 'task') {
      const reason = h('input', { type: 'text', 'aria-label': t('studio.reh.reason'), placeholder: t('studio.reh.reason') });
      act.push(h('button', { type: 'button', onclick: () => post('actions', { action: 'done', step: s.id }) }, t('studio.reh.done')), ' ',
        reason, h('button', { type: 'button', onclick: () => post('actions', { action: 'skip', step: s.id, reason: reason.value }) }, t('studio.reh.skip')));
    } else if (s.kind === 'wait_payment') {
      act.push(h('button', { type: 'button', onclick: () => post('actions', { action: 'paid', step: s.id }) }, t('studio.reh.paid')));
    } else if (s.kind === 'say' && c.status === 'waiting_manager') {
      // An editable reply: the rehearsal sends it as prepared.
      act.push(h('button', { type: 'button', onclick: () => post('actions', { action: 'send', step: s.id }) }, t('studio.reh.send')));
    } else if (c.status === 'waiting_manager' || c.status === 'waiting_director') {
      const action = c.status === 'waiting_director' ? 'decide' : 'choose';
      for (const ch of s.choices) act.push(h('button', { type: 'button', class: 'choice', onclick: () => post('actions', { action, step: s.id, option: ch.label }) }, ch.label), ' ');
    }
    stepBox = h('section', { class: 'reh-step', 'data-testid': 'reh-step' },
      h('h3', null, t('studio.reh.step', { title: s.title })),
      h('p', { class: 'muted' }, t('studio.reh.waiting', { status: t(`studio.reh.status.${c.status}`) })),
      s.prompt ? h('p', null, s.prompt) : null,
      s.instruction ? h('p', { class: 'instruction' }, s.instruction) : null,
      h('div', { class: 'actions' }, act));
  }
  replace(out, clock, stepBox, say, log);
}

register({ id: 'studio', path: '/studio', roles: OWNER, nav: { label: 'nav.studio', order: 60 }, title: 'studio.title', render: renderList });
register({ id: 'studio-editor', path: '/studio/:id', roles: OWNER, title: 'studio.title', render: renderEditor });
