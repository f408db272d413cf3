// A channel that fails is shown to the staff: the SMTP server answers 451 (the test
// driver's aiosmtpd, told by a control file), a client's greeting cannot go out, and a
// red line under the top bar appears live, naming the channel, the server's answer and
// the next try; the Channels page lists it as failing. The fault is cleared (the script
// removes the control file): the greeting goes out, the line disappears by itself and
// the channel reads "работает".
import fs from 'node:fs';
import { screenshot, check } from './lib/browser.mjs';
import { open, clientWrites, getJson, noProblems, main } from './lib/staff.mjs';

const base = process.argv[2];
const fault = process.env.E2E_SMTP_FAULT;

await main(async () => {
  check(fault && fs.existsSync(fault), `E2E_SMTP_FAULT names the SMTP server's fault file (${fault})`);
  const { browser, page, problems } = await open(base, 'manager');
  await page.goto(`${base}/#/inbox`);
  const banner = page.locator('.channel-banner');
  check(await banner.isHidden(), 'no channel banner while nothing fails');

  await clientWrites(base, 'ch-1', 'anna@romashka.ru', 'Подготовьте приказ на отпуск');
  const line = page.locator('.channel-banner p[data-channel="email"]');
  await line.waitFor({ timeout: 60000 });
  const text = await line.textContent();
  check(text.includes('Канал «почта» не отправляет сообщения'), `the banner names the channel: ${text}`);
  check(text.includes('SMTP 451'), `the banner shows the server's answer: ${text}`);
  check(text.includes('Следующая попытка'), `the banner says when it tries again: ${text}`);
  await screenshot(page, 'channels-banner');

  await line.locator('a').click();
  const row = page.locator('table.channels tr[data-channel="email"]');
  await row.waitFor();
  check((await row.textContent()).includes('сбой'), `the channels page shows email failing: ${await row.textContent()}`);
  await screenshot(page, 'channels-failing');

  fs.unlinkSync(fault);
  await banner.waitFor({ state: 'hidden', timeout: 60000 });
  // A locator, not page.waitForFunction: the app's CSP forbids the eval that needs.
  await page.locator('table.channels tr[data-channel="email"]:not(.failing)', { hasText: 'работает' })
    .waitFor({ timeout: 60000 });
  const status = await getJson(base, '/api/v1/channels');
  check(!status.failing, `the API agrees nothing fails: ${JSON.stringify(status)}`);
  await screenshot(page, 'channels-ok');
  noProblems(problems);
  await browser.close();
});
