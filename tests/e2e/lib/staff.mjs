// Helpers shared by the staff app's browser tests: a page at 1366×768, signed in through
// the login form, that fails on any console error or uncaught exception; client messages
// sent through POST /api/v1/inbound, and API reads to check what the UI did.
// The test driver passes E2E_USERS (JSON: role → {login, password}) and E2E_TOKEN (an
// owner API token for the scripts' own API calls).
import { launch, check } from './browser.mjs';

// Headers for the scripts' own API calls (the browser uses its session cookie instead).
export function apiHeaders(extra = {}) {
  const token = process.env.E2E_TOKEN;
  return token ? { Authorization: `Bearer ${token}`, ...extra } : { ...extra };
}

export function credentials(role) {
  const users = JSON.parse(process.env.E2E_USERS || '{}');
  check(users[role], `E2E_USERS names a ${role} login`);
  return users[role];
}

// Signs in through the login form as the person with this role, with the keyboard alone
// (the form puts the focus on the login field).
export async function signIn(page, base, role) {
  const { login, password } = credentials(role);
  await page.goto(`${base}/`);
  await page.waitForSelector('form.login input[name="login"]:focus');
  await page.keyboard.type(login);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
  await page.waitForSelector('header nav');
}

export async function open(base, role = 'manager') {
  const browser = await launch();
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 }, locale: 'ru-RU' });
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // Failed requests are judged by their URL below; the console repeats them without one.
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`); });
  page.on('response', (r) => {
    // /api/v1/auth/me answers 404 on a server without authentication (the app's open mode).
    if (r.status() >= 400 && !(r.url().endsWith('/api/v1/auth/me') && (r.status() === 404 || r.status() === 401)))
      problems.push(`HTTP ${r.status()} ${r.url()}`);
  });
  await signIn(page, base, role);
  return { browser, page, problems };
}

export async function clientWrites(base, externalId, sender, text) {
  const r = await fetch(`${base}/api/v1/inbound`, {
    method: 'POST', headers: apiHeaders({ 'Content-Type': 'application/json' }),
    body: JSON.stringify({ channel: 'email', external_id: externalId, sender, text }),
  });
  check(r.status === 201 || r.status === 200, `inbound accepted (got ${r.status})`);
  return (await r.json()).case;
}

export async function getJson(base, path) {
  const r = await fetch(`${base}${path}`, { headers: apiHeaders() });
  check(r.ok, `GET ${path}: ${r.status}`);
  return r.json();
}

export async function payInvoice(base, number, amount) {
  const r = await fetch(`${base}/api/v1/invoices/${number}/payments`, {
    method: 'POST', headers: apiHeaders({ 'Content-Type': 'application/json' }), body: JSON.stringify(amount ? { amount } : {}),
  });
  check(r.ok, `payment accepted (got ${r.status})`);
}

// Fails the script with the page problems listed, if there were any.
export function noProblems(problems) {
  const real = problems.filter((p) => !/favicon/.test(p));
  check(real.length === 0, `no errors in the page:\n${real.join('\n')}`);
}

export async function main(f) {
  try {
    await f();
    console.log('ok');
  } catch (e) {
    console.error(e && e.stack ? e.stack : e);
    process.exit(1);
  }
}
