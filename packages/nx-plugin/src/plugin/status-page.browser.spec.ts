/**
 * The status page in a real browser: Debian's chromium (/usr/bin/chromium, installed by .ci/run) driven by
 * playwright-core. Loads the generated file from disk, saves a screenshot in light and in dark, and checks
 * the rows, sorting, filtering and the dark colours in the DOM. Without chromium the spec fails and says so.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { renderStatusPage } from './status-page';
import { FIXTURE_ROWS, GENERATED_AT } from './status-page.fixture';

const CHROMIUM = '/usr/bin/chromium';
const OUT = path.resolve(__dirname, '../../../../dist/status-page-browser');

let browser: BrowserContext;
let page: Page;
let profile: string;
let url: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium); .ci/run installs it`);
  }
  mkdirSync(OUT, { recursive: true });
  const file = path.join(OUT, 'platform-images-status.html');
  writeFileSync(file, renderStatusPage(FIXTURE_ROWS, { generatedAt: GENERATED_AT }));
  url = pathToFileURL(file).href;
  profile = mkdtempSync(path.join(tmpdir(), 'status-page-chromium-'));
  // A fresh profile (--user-data-dir) for every run: playwright-core passes it as the persistent context's.
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    viewport: { width: 1600, height: 700 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = browser.pages()[0] ?? (await browser.newPage());
}, 30_000);

afterAll(async () => {
  await browser?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/** The images of the rows shown, top to bottom (a filtered-out row is hidden, so not visible). */
async function images(): Promise<Array<string | null>> {
  const rows = await page.locator('#images tbody tr:visible').all();
  return Promise.all(rows.map((row) => row.getAttribute('data-image')));
}

describe('status page in chromium', () => {
  beforeEach(async () => {
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto(url);
  });

  it('renders every image, and a screenshot shows it', async () => {
    const shot = path.join(OUT, 'status-light.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`status page screenshot: ${shot}`);
    expect(existsSync(shot)).toBe(true);
    expect(await images()).toEqual(['net8-runtime', 'net10-aspnet', 'net9-sdk', 'net6-legacy']);
    expect(await page.textContent('#shown')).toBe('4');
    expect(await page.textContent('tr[data-image="net10-aspnet"] td[data-key="reason"]')).toContain(
      'mcr.microsoft.com/dotnet/aspnet:10.0 moved from sha256:333333333333 to sha256:444444444444',
    );
    // An escaped value is shown as text, never run.
    expect(await page.textContent('tr[data-image="net9-sdk"] td[data-key="reason"]')).toContain('<script>alert(1)</script>');
  });

  it('sorts by a column, and reverses on a second click', async () => {
    await page.click('th[data-key="image"] button');
    expect(await images()).toEqual(['net6-legacy', 'net8-runtime', 'net9-sdk', 'net10-aspnet']);
    expect(await page.getAttribute('th[data-key="image"]', 'aria-sort')).toBe('ascending');
    await page.click('th[data-key="image"] button');
    expect(await images()).toEqual(['net10-aspnet', 'net9-sdk', 'net8-runtime', 'net6-legacy']);
    // By date; net9 and net8 end on the same day and keep the order they had.
    await page.click('th[data-key="eos"] button');
    expect(await images()).toEqual(['net6-legacy', 'net9-sdk', 'net8-runtime', 'net10-aspnet']);
  });

  it('filters by text and by outcome, hiding the other rows', async () => {
    await page.fill('#filter', 'aspnet');
    expect(await images()).toEqual(['net10-aspnet']);
    expect(await page.isHidden('tr[data-image="net8-runtime"]')).toBe(true);
    expect(await page.textContent('#shown')).toBe('1');
    await page.fill('#filter', '');
    await page.selectOption('#outcome', 'failed');
    expect(await images()).toEqual(['net9-sdk']);
  });

  it('uses dark colours when the system prefers dark', async () => {
    // An expression, evaluated in the page (this workspace's TypeScript has no DOM types).
    const background = () => page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
    expect(await background()).toBe('rgb(255, 255, 255)');
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await background()).toBe('rgb(13, 17, 23)');
    const shot = path.join(OUT, 'status-dark.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`status page screenshot (dark): ${shot}`);
    expect(existsSync(shot)).toBe(true);
  });
});
