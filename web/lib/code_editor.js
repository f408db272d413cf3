// A plain-text code editor for YAML: a textarea with a line-number gutter, the lines with
// problems marked in the gutter and the current problem's line highlighted behind the
// text, and a list of problems that moves the cursor to each. No libraries: the text is
// the textarea's value, nothing is parsed as markup.
import { h, clear } from './dom.js';
import { t } from './i18n.js';

const LINE_HEIGHT = 20;  // px; must match .code-editor textarea line-height in studio.css

export function codeEditor({ value = '', label = '', onInput = null, readOnly = false } = {}) {
  const gutter = h('div', { class: 'ce-gutter', 'aria-hidden': 'true' });
  const band = h('div', { class: 'ce-band', 'aria-hidden': 'true', hidden: true });
  const area = h('textarea', {
    class: 'ce-text', spellcheck: 'false', autocapitalize: 'off', autocomplete: 'off', wrap: 'off',
    'aria-label': label, readonly: readOnly ? true : null, 'data-testid': 'editor',
  });
  area.value = value;
  const wrap = h('div', { class: 'code-editor' }, gutter, h('div', { class: 'ce-body' }, band, area));
  let marks = new Map();  // line -> 'error' | 'warning'
  let focusLine = 0;

  function lineCount() { return area.value.split('\n').length; }

  function renderGutter() {
    clear(gutter);
    const n = lineCount();
    for (let i = 1; i <= n; i++) {
      const cls = ['ce-num'];
      if (marks.has(i)) cls.push(marks.get(i) === 'error' ? 'ce-err' : 'ce-warn');
      if (i === focusLine) cls.push('ce-focus');
      gutter.append(h('div', { class: cls.join(' '), 'data-line': String(i) }, String(i)));
    }
    syncScroll();
  }

  function syncScroll() {
    gutter.scrollTop = area.scrollTop;
    if (focusLine) {
      band.hidden = false;
      band.style.top = `${(focusLine - 1) * LINE_HEIGHT - area.scrollTop + 6}px`;
    } else {
      band.hidden = true;
    }
  }

  let lastCount = lineCount();
  area.addEventListener('input', () => {
    if (lineCount() !== lastCount) {
      lastCount = lineCount();
      renderGutter();
    }
    if (onInput) onInput(area.value);
  });
  area.addEventListener('scroll', syncScroll);
  // Tab inserts two spaces (YAML indents with spaces); Escape leaves the editor for keyboard users.
  area.addEventListener('keydown', (e) => {
    if (e.key === 'Tab' && !e.shiftKey && !e.ctrlKey && !e.altKey && !readOnly) {
      e.preventDefault();
      const { selectionStart: s, selectionEnd: en } = area;
      area.setRangeText('  ', s, en, 'end');
      area.dispatchEvent(new Event('input'));
    } else if (e.key === 'Escape') {
      area.blur();
    }
  });
  renderGutter();

  return {
    el: wrap,
    textarea: area,
    get value() { return area.value; },
    set value(v) { area.value = v; lastCount = lineCount(); renderGutter(); },
    // diagnostics: [{level, line}]; the first error's line is highlighted.
    mark(diags) {
      marks = new Map();
      for (const d of diags || []) {
        if (!d.line) continue;
        if (marks.get(d.line) !== 'error') marks.set(d.line, d.level);
      }
      const first = (diags || []).find((d) => d.line && d.level === 'error');
      focusLine = first ? first.line : 0;
      renderGutter();
    },
    // Moves the cursor to line:column, scrolls it into view and highlights the line.
    goTo(line, column = 1) {
      const lines = area.value.split('\n');
      let pos = 0;
      for (let i = 0; i < line - 1 && i < lines.length; i++) pos += lines[i].length + 1;
      pos += Math.max(0, Math.min((column || 1) - 1, (lines[line - 1] || '').length));
      area.focus();
      area.setSelectionRange(pos, pos);
      area.scrollTop = Math.max(0, (line - 5) * LINE_HEIGHT);
      focusLine = line;
      renderGutter();
    },
  };
}

// The list of problems under an editor: each a button that moves the cursor there.
export function problemList(diags, editor, { showFile = false } = {}) {
  if (!diags || !diags.length) return h('p', { class: 'ok', role: 'status', 'data-testid': 'no-problems' }, t('studio.valid'));
  return h('ul', { class: 'problems', 'data-testid': 'problems' }, diags.map((d) => {
    const where = d.line ? t('studio.at', { line: d.line, column: d.column || 1 }) : (showFile && d.file_line ? t('studio.at.file', { line: d.file_line }) : '');
    const step = d.step ? t('studio.in.step', { step: d.step }) : '';
    return h('li', { class: d.level === 'error' ? 'problem error' : 'problem warning', 'data-line': String(d.line || 0) },
      h('button', { type: 'button', class: 'link', disabled: !d.line, onclick: () => editor.goTo(d.line, d.column) },
        h('span', { class: 'where' }, [where, step].filter(Boolean).join(', ')),
        h('span', { class: 'level' }, d.level === 'error' ? t('studio.error') : t('studio.warning')),
        h('span', { class: 'message' }, d.message)));
  }));
}
