// A line diff (longest common subsequence) in the unified format: what the studio shows
// between a draft and the deployed version. Pure functions; no DOM.

// [{op: ' '|'-'|'+', text, a, b}] — a/b are 1-based line numbers in the old/new text (0 when absent).
export function diffLines(oldText, newText) {
  const a = oldText.split('\n');
  const b = newText.split('\n');
  if (a.length && a[a.length - 1] === '') a.pop();
  if (b.length && b[b.length - 1] === '') b.pop();
  // Common head and tail first: edits are usually local, so the table stays small.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const am = a.slice(head, a.length - tail);
  const bm = b.slice(head, b.length - tail);
  const n = am.length, m = bm.length;
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[i][j] = am[i] === bm[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const out = [];
  for (let i = 0; i < head; i++) out.push({ op: ' ', text: a[i], a: i + 1, b: i + 1 });
  let i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && am[i] === bm[j]) {
      out.push({ op: ' ', text: am[i], a: head + i + 1, b: head + j + 1 });
      i++; j++;
    } else if (j < m && (i >= n || lcs[i][j + 1] > lcs[i + 1][j])) {
      out.push({ op: '+', text: bm[j], a: 0, b: head + j + 1 });
      j++;
    } else {
      out.push({ op: '-', text: am[i], a: head + i + 1, b: 0 });
      i++;
    }
  }
  for (let k = 0; k < tail; k++)
    out.push({ op: ' ', text: a[a.length - tail + k], a: a.length - tail + k + 1, b: b.length - tail + k + 1 });
  return out;
}

// Hunks with `context` unchanged lines around each change: [{header, lines}].
export function unifiedHunks(lines, context = 3) {
  const hunks = [];
  let current = null;
  let lastChange = -Infinity;
  lines.forEach((l, idx) => {
    if (l.op === ' ') return;
    const from = Math.max(0, idx - context);
    if (!current || from > lastChange + context + 1) {
      current = { start: from, end: idx };
      hunks.push(current);
    }
    current.end = idx;
    lastChange = idx;
  });
  return hunks.map((hk) => {
    const slice = lines.slice(hk.start, Math.min(lines.length, hk.end + context + 1));
    const aStart = slice.find((l) => l.a)?.a || 0;
    const bStart = slice.find((l) => l.b)?.b || 0;
    const aLen = slice.filter((l) => l.op !== '+').length;
    const bLen = slice.filter((l) => l.op !== '-').length;
    return { header: `@@ -${aStart},${aLen} +${bStart},${bLen} @@`, lines: slice };
  });
}

export function unifiedText(oldName, newName, oldText, newText) {
  const hunks = unifiedHunks(diffLines(oldText, newText));
  if (!hunks.length) return '';
  let out = `--- ${oldName}\n+++ ${newName}\n`;
  for (const hk of hunks) {
    out += `${hk.header}\n`;
    for (const l of hk.lines) out += `${l.op}${l.text}\n`;
  }
  return out;
}
