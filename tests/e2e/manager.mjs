// A manager handles an in-tariff request and a paid one in the staff app; the clients'
// messages arrive through POST /api/v1/inbound, and the pages follow by live updates.
import { screenshot, check } from './lib/browser.mjs';
import { open, clientWrites, getJson, apiHeaders, noProblems, main } from './lib/staff.mjs';

const base = process.argv[2];

await main(async () => {
  const { browser, page, problems } = await open(base);
  await page.goto(`${base}/`);
  await page.waitForSelector('table.inbox');
  check((await page.textContent('header')).includes('Входящие'), 'the Russian interface by default');

  // An in-tariff request arrives while the inbox is open: it appears without a reload.
  const inTariff = await clientWrites(base, 'm-1', 'anna@romashka.ru', 'Пришлите, пожалуйста, акт сверки с поставщиком');
  const row = page.locator(`tr[data-case="${inTariff}"]`);
  await row.waitFor();
  const rowText = await row.textContent();
  check(rowText.includes('ООО «Ромашка»'), `the row names the client: ${rowText}`);
  check(rowText.includes('клиент ждёт менеджера'), `the row says who waits: ${rowText}`);
  await screenshot(page, 'manager-inbox');

  await row.locator('a').first().click();
  await page.waitForSelector('section.step');
  const tariff = await page.textContent('section.tariff');
  check(tariff.includes('входит в тариф'), `tariff check shown: ${tariff}`);
  check(tariff.includes('1 из 2 в этом месяце'), `quota shown: ${tariff}`);
  check((await page.textContent('section.step')).includes('Согласовать срок с бухгалтером'), 'the current step with its title');
  check((await page.textContent('.instruction')).length > 20, 'the instruction text is shown');
  await page.fill('form.step-form textarea, form.step-form input', 'до 25 ноября');
  await page.click('form.step-form button[type=submit]');
  await page.locator('.conversation', { hasText: /входит в ваш тариф/i }).waitFor();
  await screenshot(page, 'manager-in-tariff-confirmed');
  const afterInTariff = await getJson(base, `/api/v1/cases/${inTariff}`);
  check(afterInTariff.case.vars.deadline === 'до 25 ноября', 'the deadline was saved');

  // A paid request: the prepared price comes from the price list; the manager confirms it.
  const paid = await clientWrites(base, 'm-2', 'smirnova.ev@mail.ru', 'Подготовьте приказ на отпуск для сотрудника');
  await page.goto(`${base}/#/cases/${paid}`);
  await page.waitForSelector('form.step-form');
  const priceInput = page.locator('form.step-form input[name=price]');
  check(await priceInput.inputValue() === '1500', 'the price is prepared from the price list');
  check((await page.textContent('section.tariff')).includes('не входит в тариф'), 'not in the tariff');
  await page.fill('form.step-form [name=deadline]', '3 рабочих дня');
  await page.click('form.step-form button[type=submit]');
  await page.locator('.conversation .msg.out', { hasText: /1\s?500/ }).waitFor();

  // The client agrees by email; the page follows: the invoice goes out, payment is awaited.
  await clientWrites(base, 'm-3', 'smirnova.ev@mail.ru', 'Да, согласна');
  await page.locator('section.step', { hasText: 'Оплата получена' }).waitFor();
  await screenshot(page, 'manager-paid-waiting-payment');
  // The manager records the payment from the page.
  await page.click('section.step button.primary');
  await page.locator('section.step', { hasText: 'Оплата получена' }).waitFor({ state: 'detached' });
  const invoices = await getJson(base, '/api/v1/invoices');
  const inv = invoices.invoices.find((i) => i.case === paid);
  check(inv && inv.status === 'paid', `the invoice is paid: ${JSON.stringify(inv)}`);
  await screenshot(page, 'manager-paid-done');

  // A reply the playbook lets the manager edit: the complaint's explanation to the client.
  const post = async (path, body) => {
    const r = await fetch(`${base}${path}`, { method: 'POST', headers: apiHeaders({ 'Content-Type': 'application/json' }), body: JSON.stringify(body) });
    check(r.ok, `POST ${path}: ${r.status} ${await r.clone().text()}`);
    return r.json();
  };
  const complaint = (await post('/api/v1/situations', { playbook: 'complaint', client: 'vektor' })).case;
  await post(`/api/v1/cases/${complaint}/actions`, { action: 'submit', step: 'find_out', values: { complaint: 'Ошибка в расчёте', client_wants: 'Объяснений' } });
  await post(`/api/v1/cases/${complaint}/actions`, { action: 'decide', step: 'director', option: 'Объяснить клиенту' });
  await post(`/api/v1/cases/${complaint}/actions`, { action: 'submit', step: 'explain', values: { explanation: 'расчёт сделан по табелю от 20 ноября.' } });
  await page.goto(`${base}/#/cases/${complaint}`);
  const reply = page.locator('section.step textarea.reply');
  await reply.waitFor();
  const prepared = await reply.inputValue();
  check(prepared.startsWith('Игорь Петрович, расчёт сделан по табелю от 20 ноября.'), `the prepared reply is shown: ${prepared}`);
  await screenshot(page, 'manager-editable-reply');
  const edited = `${prepared}\nТабель прикладываем ещё раз.`;
  await reply.fill(edited);
  await page.locator('section.step button.primary', { hasText: 'Отправить клиенту' }).click();
  await page.locator('.conversation .msg.out', { hasText: 'Табель прикладываем ещё раз' }).waitFor();
  const sent = (await getJson(base, `/api/v1/cases/${complaint}`)).journal.find((e) => e.kind === 'message_queued' && e.step === 'tell_explain');
  check(sent && sent.data.text === edited && sent.data.edited === true && sent.data.prepared === prepared,
    `the edited reply went out and the prepared one is journaled: ${JSON.stringify(sent)}`);

  // English on the switch.
  await page.click('button.lang[lang=en]');
  await page.locator('header', { hasText: 'Inbox' }).waitFor();
  await page.click('button.lang[lang=ru]');
  noProblems(problems);
  await browser.close();
});
