// The website chat end to end in headless Chromium: a visitor opens the demo page, writes
// a request, gets the greeting, gets a quote with buttons (the manager's price goes in
// through the API, as the staff app would send it) and answers with a button; a hostile
// message shows as text; an oversized one gets a clear error; a reload shows the whole
// history. Usage: node tests/e2e/webchat.mjs http://127.0.0.1:PORT
import { launch, screenshot, check } from './lib/browser.mjs';

const base = process.argv[2];
if (!base) {
  console.error('usage: node webchat.mjs BASEURL');
  process.exit(2);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The script's own API calls (as the staff app would make them) carry the owner token the
// driver passes in E2E_TOKEN; the visitor's page has no staff credentials at all.
async function api(method, path, body) {
  const headers = { authorization: `Bearer ${process.env.E2E_TOKEN || ''}` };
  if (body) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, {
    method,
    headers,
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

// Waits (generous deadline, no assertion on time) until the visitor's case is at `step`.
async function caseAt(visitor, step) {
  for (let i = 0; i < 1000; i++) {
    const list = await api('GET', '/api/v1/cases?limit=1000');
    const c = list.json.cases.find((k) => k.sender === visitor);
    if (c && c.step === step) return c;
    await sleep(20);
  }
  throw new Error(`the case of ${visitor} never reached step ${step}`);
}

// What the chat shows: [{from, text, seq}] in order.
function entries(page) {
  return page.evaluate(() => {
    const root = document.getElementById('reglament-chat').shadowRoot;
    return [...root.querySelectorAll('.rg-log .rg-msg[data-seq]')].map((li) => ({
      seq: Number(li.getAttribute('data-seq')),
      from: li.classList.contains('rg-visitor') ? 'visitor' : 'firm',
      text: li.querySelector('.rg-text').textContent,
    }));
  });
}

// page.waitForFunction would evaluate strings in the page, which the demo's CSP forbids
// (as it should): poll with evaluate instead.
async function until(page, fn, arg, what) {
  for (let i = 0; i < 600; i++) {
    if (await page.evaluate(fn, arg)) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function waitForText(page, fragment) {
  await page.locator('#reglament-chat .rg-log .rg-msg[data-seq] .rg-text', { hasText: fragment }).first()
    .waitFor({ timeout: 30000 });
}

const browser = await launch();
const problems = [];
try {
  const context = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1100, height: 760 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('dialog', (d) => { problems.push(`dialog opened: ${d.message()}`); d.dismiss(); });

  await page.goto(base + '/chat/demo');
  const launcher = page.locator('#reglament-chat .rg-launcher');
  await launcher.waitFor();
  check((await launcher.textContent()) === 'Написать нам', 'the launcher is in Russian');

  // Keyboard only: focus the launcher, Enter opens the chat and puts the cursor in the box.
  await launcher.focus();
  await page.keyboard.press('Enter');
  const input = page.locator('#reglament-chat textarea');
  await input.waitFor();
  check(await input.evaluate((el) => el.getRootNode().activeElement === el), 'the message box has the focus');
  const log = page.locator('#reglament-chat .rg-log');
  check((await log.getAttribute('aria-live')) === 'polite', 'new messages are announced (aria-live)');
  check((await log.getAttribute('role')) === 'log', 'the conversation is a log region');

  await until(page, () => document.getElementById('reglament-chat').getAttribute('data-state') === 'online', null, 'the chat to connect');
  const visitor = await page.evaluate(() => document.getElementById('reglament-chat').getAttribute('data-visitor'));
  check(/^v-[0-9a-f]{24}$/.test(visitor), `the widget got a visitor id (${visitor})`);
  const title = await page.locator('#reglament-chat #rg-title').textContent();
  check(title === 'Бухгалтерская компания «Баланс»', `the header names the firm (${title})`);

  // The manager already knows this visitor as Анна of «Ромашка».
  const link = await api('POST', '/api/v1/clients/romashka/contacts', { channel: 'webchat', address: visitor });
  check(link.status === 201, `linking the visitor answered ${link.status}`);

  await input.fill('Нужен приказ на отпуск для бухгалтера');
  await page.keyboard.press('Enter');
  await waitForText(page, 'Спасибо за заявку');
  await screenshot(page, 'webchat-1-greeting');

  // The manager names the price; the quote arrives live with its buttons.
  const c = await caseAt(visitor, 'quote');
  // The staff see the visitor's words in the case.
  const detail = await api('GET', `/api/v1/cases/${c.id}`);
  check(detail.status === 200, `GET /api/v1/cases/${c.id} answered ${detail.status}`);
  check(detail.json.journal.some((f) => f.kind === 'message_received' && f.data.text === 'Нужен приказ на отпуск для бухгалтера'),
    'the case journal has the visitor\'s message');
  const act = await api('POST', `/api/v1/cases/${c.id}/actions`,
    { action: 'submit', step: 'quote', actor: 'manager', values: { price: 1500, deadline: '2 рабочих дня' } });
  check(act.status === 200, `the manager's price answered ${act.status}`);
  await waitForText(page, 'Стоимость — 1500 руб.');
  const yes = page.locator('#reglament-chat .rg-choice', { hasText: 'Да, согласен' });
  await yes.waitFor();
  check((await page.locator('#reglament-chat .rg-choice').count()) === 2, 'the quote shows two buttons');
  await screenshot(page, 'webchat-2-quote-buttons');

  await yes.click();
  await waitForText(page, 'выставили счёт №');
  check((await page.locator('#reglament-chat .rg-choice').count()) === 0, 'the buttons go once answered');
  await caseAt(visitor, 'wait_payment');
  const afterButton = await entries(page);
  check(afterButton.some((e) => e.from === 'visitor' && e.text === 'Да, согласен'), 'the button came back as the label');

  // A hostile message is shown as the text it is.
  const hostile = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script> <b>жирный</b>';
  await input.fill(hostile);
  await page.keyboard.press('Enter');
  await until(page, (t) => {
    const root = document.getElementById('reglament-chat').shadowRoot;
    return [...root.querySelectorAll('.rg-msg[data-seq] .rg-text')].some((p) => p.textContent === t);
  }, hostile, 'the hostile message to be kept');
  const injected = await page.evaluate(() => {
    const root = document.getElementById('reglament-chat').shadowRoot;
    return {
      xss: window.__xss,
      elements: root.querySelectorAll('.rg-log img, .rg-log script, .rg-log b').length,
      documentImages: document.querySelectorAll('img').length,
    };
  });
  check(injected.xss === undefined, 'no script from a message ran');
  check(injected.elements === 0 && injected.documentImages === 0, 'no element was made from a message');
  await screenshot(page, 'webchat-3-hostile-as-text');

  // An oversized message gets a clear error and the text comes back to be shortened.
  const long = 'я'.repeat(2100);  // 4200 bytes; the limit is 4000
  await input.fill(long);
  await page.keyboard.press('Enter');
  const error = page.locator('#reglament-chat .rg-error');
  await until(page, () => {
    const root = document.getElementById('reglament-chat').shadowRoot;
    return root.querySelector('.rg-error').textContent.includes('слишком длинное');
  }, null, 'the too-long error');
  check((await error.getAttribute('role')) === 'alert', 'errors are announced');
  check((await input.inputValue()) === long, 'the refused text is back in the box');
  check(!(await entries(page)).some((e) => e.text === long), 'the refused text was not kept');
  await input.fill('');

  // A reload shows the whole history, in order, each entry once.
  const before = await entries(page);
  check(before.length >= 6, `the conversation has its entries (${before.length})`);
  check(before.every((e, i) => e.seq === i + 1), 'entries are numbered 1, 2, 3 ... without gaps');
  await page.reload();
  await page.locator('#reglament-chat .rg-launcher').click();
  await until(page, (n) => {
    const root = document.getElementById('reglament-chat').shadowRoot;
    return root.querySelectorAll('.rg-log .rg-msg[data-seq]').length >= n;
  }, before.length, 'the history after the reload');
  await sleep(300);  // let any (wrong) repeat arrive before comparing
  const after = await entries(page);
  check(JSON.stringify(after.slice(0, before.length)) === JSON.stringify(before),
    `the history after a reload is the same:\n${JSON.stringify(after)}\nvs\n${JSON.stringify(before)}`);
  check(after.every((e, i) => e.seq === i + 1), 'after the reload: each entry once, in order');
  check((await page.evaluate(() => document.getElementById('reglament-chat').getAttribute('data-visitor'))) === visitor,
    'the same visitor after the reload');
  check((await page.locator('#reglament-chat .rg-choice').count()) === 0, 'answered buttons stay gone');
  await screenshot(page, 'webchat-4-history-after-reload');

  // Escape closes the chat and gives the focus back to the launcher.
  await page.keyboard.press('Escape');
  check(await page.evaluate(() => {
    const root = document.getElementById('reglament-chat').shadowRoot;
    return root.activeElement === root.querySelector('.rg-launcher') && root.querySelector('.rg-panel').hidden;
  }), 'Escape closes the chat and focuses the launcher');

  // Another visitor (a fresh browser profile) sees none of it.
  const other = await (await browser.newContext({ locale: 'ru-RU' })).newPage();
  await other.goto(base + '/chat/demo');
  await other.locator('#reglament-chat .rg-launcher').click();
  await until(other, () => document.getElementById('reglament-chat').getAttribute('data-state') === 'online', null, 'the second visitor to connect');
  const otherVisitor = await other.evaluate(() => document.getElementById('reglament-chat').getAttribute('data-visitor'));
  check(otherVisitor !== visitor, 'a new browser is a new visitor');
  check((await entries(other)).length === 0, 'a new visitor sees an empty conversation');

  // On an English page the widget speaks English.
  const en = await (await browser.newContext({ locale: 'en-GB' })).newPage();
  await en.setContent(`<!doctype html><html lang="en"><head><title>Firm</title></head><body><h1>Balans</h1>
    <script src="${base}/chat/widget.js" data-firm="balans"></script></body></html>`);
  const enLauncher = en.locator('#reglament-chat .rg-launcher');
  await enLauncher.waitFor();
  check((await enLauncher.textContent()) === 'Chat with us', 'the launcher is in English on an English page');
  await enLauncher.click();
  check((await en.locator('#reglament-chat textarea').getAttribute('placeholder')) === 'Write a message…',
    'the message box speaks English');

  if (problems.length) throw new Error(problems.join('\n'));
  console.log(`webchat e2e: ok (visitor ${visitor}, ${after.length} entries, case ${c.id})`);
} finally {
  await browser.close();
}
