// The HTML report in a real browser: Debian's Chromium (installed by test/setup/browser.sh, which
// .ci/run calls), driven by playwright-core, headless, with a fresh profile and no network (every
// request other than the report's own file is refused and counted). The page must log no
// console error, draw the plate diagram and the plots at a non-zero size, and request nothing;
// a screenshot is saved to test-artifacts/ (git-ignored) for a person to look at.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runInProcess } from '../cli/helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const present = existsSync(CHROMIUM);
if (!present)
  console.warn(
    `browser test skipped: ${CHROMIUM} is not installed (run test/setup/browser.sh, as .ci/run does)`,
  );

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const tmp = mkdtempSync(join(tmpdir(), 'plato-browser-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!present)('the HTML report in headless Chromium', () => {
  it('opens offline with no console error; diagram and plots have a size; screenshot saved', async () => {
    const html = join(tmp, 'coin-report.html');
    const r = await runInProcess([
      'report',
      'examples/coin/coin.plato',
      '--data',
      join(ROOT, 'examples/coin/coin.json'),
      '--engine',
      'cavi',
      '-o',
      html,
    ]);
    expect(r.code, r.stderr).toBe(0);

    const { chromium } = await import('playwright-core');
    const context = await chromium.launchPersistentContext(join(tmp, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1280, height: 900 },
    });
    try {
      const refused: string[] = [];
      await context.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith('file:')) return route.continue();
        refused.push(url);
        return route.abort();
      });
      const page = context.pages()[0] ?? (await context.newPage());
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });

      for (const selector of ['#diagram svg', '#plot-trace svg', '#plot-posterior-theta svg']) {
        const box = await page.locator(selector).boundingBox();
        expect(box, selector).not.toBeNull();
        expect(box!.width, selector).toBeGreaterThan(50);
        expect(box!.height, selector).toBeGreaterThan(50);
      }
      // the observed node is drawn shaded, the latent one is not
      const fill = (node: string) =>
        page.locator(`#diagram-node-${node} ellipse`).first().getAttribute('fill');
      expect(await fill('y')).toBe('#b8b8b8');
      expect(await fill('theta')).toBe('white');
      expect(await page.locator('table.summary td', { hasText: 'theta' }).count()).toBe(1);
      expect(await page.locator('table.engines tr').count()).toBeGreaterThan(2);

      const dir = join(ROOT, 'test-artifacts');
      mkdirSync(dir, { recursive: true });
      await page.screenshot({ path: join(dir, 'report-coin.png'), fullPage: true });
      expect(existsSync(join(dir, 'report-coin.png'))).toBe(true);
      expect(errors).toEqual([]);
      expect(refused).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);
});
