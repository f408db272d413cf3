// The owner's studio in a real browser: open a playbook, introduce a validation error,
// see it at the right line, fix it, look at the diff, deploy, and find the new version
// in the history; the graph draws. Usage: node studio.mjs BASE_URL [LOGIN PASSWORD]
// (without a login the server must run without authentication: the app is then the owner's).
import { launch, screenshot, check } from './lib/browser.mjs';

const base = process.argv[2];
const [login, password] = process.argv.slice(3);
if (!base) {
  console.error('usage: node studio.mjs BASE_URL [LOGIN PASSWORD]');
  process.exit(2);
}

const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${base}/#/studio`);
  if (login) {
    await page.fill('input[name="login"]', login);
    await page.fill('input[name="password"]', password);
    await page.click('button[type="submit"]');
  }
  await page.waitForSelector('a[data-playbook="not_covered"]');
  await screenshot(page, 'studio-list');
  await page.click('a[data-playbook="not_covered"]');

  const editor = page.locator('textarea[data-testid="editor"]');
  await editor.waitFor();
  await page.waitForSelector('[data-testid="no-problems"]');
  const version = Number((await page.textContent('[data-testid="deployed-version"]')).match(/\d+/)[0]);
  const original = await editor.inputValue();

  // A misspelt key: the validator names it at its line and column.
  const broken = original.replace('    title: Записать, что сделали', '    titel: Записать, что сделали');
  check(broken !== original, 'the playbook has the line the test edits');
  const line = broken.split('\n').findIndex((l) => l.includes('titel:')) + 1;
  await editor.fill(broken);
  const problem = page.locator(`[data-testid="problems"] li.problem.error[data-line="${line}"]`);
  await problem.first().waitFor();
  const text = await problem.first().textContent();
  check(/titel/.test(text), `the error names the key: ${text}`);
  check(text.includes(`строка ${line}, столбец 5`), `the error is at line ${line}, column 5: ${text}`);
  check(await page.locator(`.ce-num.ce-err[data-line="${line}"]`).count() === 1, 'the gutter marks the line');
  await problem.first().locator('button').click();
  check(await page.locator(`.ce-num.ce-focus[data-line="${line}"]`).count() === 1, 'the line is highlighted');
  await screenshot(page, 'studio-error');

  // Deploy is refused while the error is there.
  await page.click('[data-testid="deploy"]');
  await page.waitForFunction(() => /ошибки/.test(document.querySelector('[data-testid="status"]').textContent));

  // Fixed, with a real change.
  const fixed = original.replace('    title: Записать, что сделали', '    title: Записать, что сделали, по шагам');
  await editor.fill(fixed);
  await page.waitForSelector('[data-testid="no-problems"]');

  await page.click('button[data-tab="diff"]');
  await page.waitForSelector('table.diff tr.add');
  check((await page.textContent('table.diff tr.add')).includes('по шагам'), 'the diff shows the new line');
  await screenshot(page, 'studio-diff');

  await page.click('button[data-tab="graph"]');
  await page.waitForSelector('[data-testid="graph"] svg g.node[data-id="record"]');
  await screenshot(page, 'studio-graph');

  await page.click('button[data-tab="text"]');
  await page.click('[data-testid="deploy"]');
  await page.click('[data-testid="confirm-deploy"]');
  await page.waitForFunction((v) => document.querySelector('[data-testid="deployed-version"]').textContent.includes(String(v)), version + 1);

  await page.click('button[data-tab="history"]');
  await page.waitForSelector(`[data-testid="history"] li[data-version="${version + 1}"]`);
  await screenshot(page, 'studio-history');
  console.log(`ok: error shown at line ${line}, version ${version + 1} deployed`);
} finally {
  await browser.close();
}
