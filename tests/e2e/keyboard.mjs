// The manager's main flow with the keyboard alone: Tab to the inbox's case link, Enter,
// Tab to the choice buttons, Enter — no mouse. A case waiting at a choice: the unknown
// service ("Не удалось определить услугу по тарифу").
import { screenshot, check } from './lib/browser.mjs';
import { open, clientWrites, getJson, noProblems, main } from './lib/staff.mjs';

const base = process.argv[2];

// Presses Tab until `expression` (evaluated in the page) is true.
async function tabTo(page, expression, what, limit = 80) {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(expression)) return;
  }
  throw new Error(`Tab never reached ${what}`);
}

await main(async () => {
  const id = await clientWrites(base, 'k-1', 'anna@romashka.ru', 'Добрый день! У нас тут непонятная ситуация');
  const state = await getJson(base, `/api/v1/cases/${id}`);
  check(state.case.step && state.case.step.kind === 'choice', `a choice is waiting: ${JSON.stringify(state.case.step)}`);

  const { browser, page, problems } = await open(base);
  await page.goto(`${base}/`);
  await page.waitForSelector(`tr[data-case="${id}"]`);
  await tabTo(page, `document.activeElement && document.activeElement.getAttribute('href') === '#/cases/${id}'`, 'the case link');
  await page.keyboard.press('Enter');
  await page.waitForSelector('.choices button');
  const first = await page.evaluate(() => document.querySelector('.choices button').textContent);
  await tabTo(page, `document.activeElement && document.activeElement.closest('.choices') !== null`, 'the choice buttons');
  const focused = await page.evaluate(() => document.activeElement.textContent);
  check(focused === first, `the first choice is focused: ${focused}`);
  // The focus is visible.
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  check(outline !== 'none', 'the focused button shows an outline');
  await screenshot(page, 'keyboard-choice');
  await page.keyboard.press('Enter');
  await page.locator('section.step', { hasText: 'Не удалось определить услугу' }).waitFor({ state: 'detached' });
  const after = await getJson(base, `/api/v1/cases/${id}`);
  const chosen = after.journal.find((e) => e.kind === 'choice_made');
  check(chosen && chosen.data.option === first, `the choice was made: ${JSON.stringify(chosen)}`);
  noProblems(problems);
  await browser.close();
});
