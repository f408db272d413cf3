// Client text is never executed: a client writes HTML and script, a manager's note carries
// more, and the staff app shows all of it as text (no element made from it, no script
// run, no dialog) in the inbox, on the case page and in the director's queue.
import { screenshot, check } from './lib/browser.mjs';
import { open, clientWrites, noProblems, main, apiHeaders } from './lib/staff.mjs';

const base = process.argv[2];

const hostile = [
  '<img src=x onerror="window.__xss=1">',
  '<script>window.__xss=2</script>',
  '<a href="javascript:window.__xss=3">ссылка</a>',
  '"><svg onload="window.__xss=4">',
].join(' ');

async function act(id, body) {
  const r = await fetch(`${base}/api/v1/cases/${id}/actions`, {
    method: 'POST', headers: apiHeaders({ 'Content-Type': 'application/json' }), body: JSON.stringify(body),
  });
  check(r.ok, `action ${body.action}: ${r.status} ${await r.text()}`);
}

// Nothing hostile became an element or ran; the text is there, literally.
async function harmless(page, where, shown = true) {
  const found = await page.evaluate(() => ({
    xss: window.__xss,
    img: document.querySelectorAll('img[src="x"], main svg[onload], a[href^="javascript:"], main script').length,
    text: document.body.innerText,
  }));
  check(found.xss === undefined, `${where}: no hostile script ran (window.__xss = ${found.xss})`);
  check(found.img === 0, `${where}: no element was made from client text`);
  if (shown) check(found.text.includes('<img src=x onerror='), `${where}: the client's text is shown as text`);
}

await main(async () => {
  const id = await clientWrites(base, 'x-1', 'anna@romashka.ru', `Добрый день! ${hostile} Пришлите акт сверки`);

  const { browser, page, problems } = await open(base, 'manager');
  const dialogs = [];
  page.on('dialog', async (d) => { dialogs.push(d.message()); await d.dismiss(); });
  await page.goto(`${base}/`);
  await page.locator(`tr[data-case="${id}"]`).waitFor();
  await harmless(page, 'inbox', false);  // the inbox shows the step, not the text

  await page.goto(`${base}/#/cases/${id}`);
  await page.locator('.conversation', { hasText: '<script>window.__xss=2</script>' }).waitFor();
  await harmless(page, 'case page');
  await screenshot(page, 'xss-case');

  // A manager's note with markup reaches the director as text too.
  const paid = await clientWrites(base, 'x-2', 'smirnova.ev@mail.ru', 'Подготовьте приказ на отпуск');
  await act(paid, { action: 'note', reason: `Скидка? ${hostile}` });
  await act(paid, { action: 'submit', step: 'quote', values: { price: 1000, deadline: '<b>завтра</b>' } });
  const director = await open(base, 'director');
  director.page.on('dialog', async (d) => { dialogs.push(d.message()); await d.dismiss(); });
  await director.page.goto(`${base}/#/escalations`);
  await director.page.locator(`article.escalation[data-case="${paid}"]`, { hasText: '<script>window.__xss=2</script>' }).waitFor();
  await harmless(director.page, 'escalation queue');
  await screenshot(director.page, 'xss-escalations');

  check(dialogs.length === 0, `no dialog opened: ${dialogs.join(', ')}`);
  noProblems(problems);
  noProblems(director.problems);
  await director.browser.close();
  await browser.close();
});
