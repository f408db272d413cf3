// A director decides an escalation: the manager offers less than the allowed discount,
// the case waits in the director's queue with the reason and the manager's note, and the
// director's decision sends it on along the playbook's branch.
import { screenshot, check } from './lib/browser.mjs';
import { open, clientWrites, getJson, noProblems, main, apiHeaders } from './lib/staff.mjs';

const base = process.argv[2];

async function act(id, body) {
  const r = await fetch(`${base}/api/v1/cases/${id}/actions`, {
    method: 'POST', headers: apiHeaders({ 'Content-Type': 'application/json' }), body: JSON.stringify(body),
  });
  check(r.ok, `action ${body.action}: ${r.status} ${await r.text()}`);
}

await main(async () => {
  const id = await clientWrites(base, 'd-1', 'smirnova.ev@mail.ru', 'Подготовьте приказ на отпуск');
  await act(id, { action: 'note', reason: 'Клиентка давно с нами, просит скидку' });
  await act(id, { action: 'submit', step: 'quote', values: { price: 1000, deadline: 'завтра' } });

  const { browser, page, problems } = await open(base, 'director');
  await page.goto(`${base}/#/escalations`);
  const card = page.locator(`article.escalation[data-case="${id}"]`);
  await card.waitFor();
  const text = await card.textContent();
  check(text.includes('Менеджер предлагает цену ниже разрешённой скидки'), `the reason: ${text}`);
  check(text.includes('Клиентка давно с нами, просит скидку'), `the manager's note: ${text}`);
  check(text.includes('Подготовьте приказ на отпуск'), `the history: ${text}`);
  await screenshot(page, 'director-queue');

  await card.locator('textarea').fill('Согласовано один раз, в следующий раз по прайсу');
  await card.locator('button', { hasText: 'Согласовать цену' }).click();
  await page.waitForSelector(`article.escalation[data-case="${id}"]`, { state: 'detached' });
  const after = await getJson(base, `/api/v1/cases/${id}`);
  const decided = after.journal.find((e) => e.kind === 'director_decided');
  check(decided && decided.data.decision === 'Согласовать цену', `decision journaled: ${JSON.stringify(decided)}`);
  check(after.case.status === 'waiting_client', `the case went on to the quote: ${after.case.status}`);
  await screenshot(page, 'director-queue-empty');

  // The control points show the escalation.
  await page.goto(`${base}/#/reports`);
  await page.waitForSelector('#rep-escalations svg');
  check((await page.textContent('#rep-escalations')).includes('Менеджер предлагает цену'), 'escalations by reason');
  await screenshot(page, 'director-reports');
  noProblems(problems);
  await browser.close();
});
