// The owner's studio in a real browser: open a playbook, introduce a validation error,
// see it at the right line, fix it, look at the diff, deploy, and find the new version
// in the history; the graph draws. Then a manager's attempt to open the studio is refused,
// in the app and by the API. Usage: E2E_USERS=... node studio.mjs BASE_URL
import { launch, screenshot, check } from './lib/browser.mjs';
import { signIn } from './lib/staff.mjs';

const base = process.argv[2];
if (!base) {
  console.error('usage: E2E_USERS=\'{"owner":{...},"manager":{...}}\' node studio.mjs BASE_URL');
  process.exit(2);
}

const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await signIn(page, base, 'owner');
  await page.goto(`${base}/#/studio`);
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
  await page.locator('[data-testid="status"]', { hasText: /ошибки/ }).waitFor();

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
  // (Locators, never waitForFunction: its polling evaluates strings, which the app's CSP forbids.)
  await page.locator('[data-testid="deployed-version"]', { hasText: String(version + 1) }).waitFor();

  await page.click('button[data-tab="history"]');
  await page.waitForSelector(`[data-testid="history"] li[data-version="${version + 1}"]`);
  await screenshot(page, 'studio-history');

  // A manager: the studio is not in the navigation, opening it says "no access", and the
  // API refuses the studio's calls for the manager's session.
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const manager = await context.newPage();
  await signIn(manager, base, 'manager');
  check(await manager.locator('header nav a[href="#/studio"]').count() === 0, 'no studio link for a manager');
  await manager.goto(`${base}/#/studio`);
  await manager.waitForSelector('main h1');
  check((await manager.textContent('main h1')).includes('Нет доступа'), 'the studio page says no access');
  const status = await manager.evaluate(async () => (await fetch('/api/v1/playbooks')).status);
  check(status === 403, `GET /api/v1/playbooks as a manager: ${status}`);
  await screenshot(manager, 'studio-refused', 3000);
  console.log(`ok: error shown at line ${line}, version ${version + 1} deployed; a manager is refused`);
} finally {
  await browser.close();
}
