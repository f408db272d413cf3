// The firm file's parts for the owner: services (the catalog), tariffs, pricing, staff,
// each edited as YAML with live validation of the whole file with the part in place, a
// diff against the current text, and deploy with confirmation (applied without restart).
import { h, replace } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { register, href } from '../lib/router.js';
import { api } from '../lib/api.js';
import { codeEditor, problemList } from '../lib/code_editor.js';
import { diffLines } from '../lib/line_diff.js';
import './studio_strings.js';
import { useStudioStyles, debounce, diffTable } from './studio_common.js';

const PARTS = ['services', 'tariffs', 'pricing', 'staff', 'sla'];

async function render(root, ctx) {
  useStudioStyles();
  const { firm } = await api.get('/api/v1/firm');
  const parts = PARTS.filter((p) => firm.parts[p]);
  const part = parts.includes(ctx.query.part) ? ctx.query.part : parts[0];
  const original = firm.parts[part].yaml;
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite', 'data-testid': 'status' });
  const problemsBox = h('div', { class: 'problems-box' });
  const diffBox = h('div', { class: 'diff-box' });
  const confirmBox = h('div', { class: 'confirm', hidden: true, role: 'alertdialog' });
  let base = original;
  const editor = codeEditor({ value: original, label: t(`firm.part.${part}`), onInput: () => { check.schedule(); drawDiff(); } });

  async function validate() {
    const text = editor.value;
    const r = await api.post(`/api/v1/firm/${part}/validate`, { yaml: text });
    if (editor.value !== text) return r;
    editor.mark(r.diagnostics);
    replace(problemsBox, problemList(r.diagnostics, editor, { showFile: true }));
    return r;
  }
  const check = debounce(validate, 400);

  function drawDiff() {
    const lines = diffLines(base, editor.value);
    const table = diffTable(lines);
    replace(diffBox, table.childElementCount ? table : null);
  }

  async function askDeploy() {
    const r = await validate();
    if (r.errors) {
      status.textContent = t('studio.deploy.errors');
      return;
    }
    if (editor.value === base) {
      status.textContent = t('studio.unchanged');
      return;
    }
    confirmBox.hidden = false;
    const yes = h('button', { type: 'button', class: 'primary', 'data-testid': 'confirm-deploy', onclick: async () => {
      confirmBox.hidden = true;
      try {
        await api.post(`/api/v1/firm/${part}/deploy`, { yaml: editor.value });
        base = editor.value;
        drawDiff();
        status.textContent = t('firm.deploy.done');
      } catch (e) {
        status.textContent = e.message;
      }
    } }, t('studio.deploy.yes'));
    replace(confirmBox, h('p', null, t('firm.deploy.confirm', { part: t(`firm.part.${part}`) })), yes, ' ',
      h('button', { type: 'button', onclick: () => { confirmBox.hidden = true; } }, t('studio.deploy.no')));
    yes.focus();
  }

  replace(root,
    h('h1', null, t('firm.title')),
    h('p', { class: 'lead' }, t('firm.lead', { file: firm.file })),
    h('nav', { class: 'tabs', 'aria-label': t('firm.title') }, parts.map((p) => h('a', {
      class: p === part ? 'tab active' : 'tab', href: href('/firm', { part: p }), 'aria-current': p === part ? 'page' : null,
    }, t(`firm.part.${p}`)))),
    h('div', { class: 'toolbar' },
      h('button', { type: 'button', onclick: () => validate() }, t('studio.validate')),
      h('button', { type: 'button', class: 'primary', 'data-testid': 'deploy', onclick: askDeploy }, t('studio.deploy'))),
    confirmBox, status, editor.el, problemsBox, diffBox);
  validate().catch(() => {});
}

register({ id: 'firm', path: '/firm', roles: ['owner'], nav: { label: 'nav.firm', order: 61 }, title: 'firm.title', render });
