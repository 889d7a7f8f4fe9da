// The report as a PDF: the same HTML printed by headless Chromium (playwright-core driving the
// system's browser; nothing is downloaded). The HTML loads nothing, so the print is exactly what
// the HTML file shows.

import { existsSync } from 'node:fs';

/** where a Chromium is: TOLLGATE_CHROMIUM, else Debian's and the usual names */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [env.TOLLGATE_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];
  return candidates.find((p): p is string => typeof p === 'string' && p !== '' && existsSync(p));
}

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export class NoChromiumError extends Error {}

export async function renderPdf(html: string, executablePath = findChromium()): Promise<Buffer> {
  if (!executablePath) throw new NoChromiumError('--pdf needs Chromium: install it (apt-get install chromium) or set TOLLGATE_CHROMIUM to its path');
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    // nothing in the report is fetched; refuse anything that tries, so the print is offline by construction
    await page.route('**/*', (route) => route.abort());
    await page.setContent(html, { waitUntil: 'load' });
    return await page.pdf({ format: 'A4', printBackground: true, margin: { top: '14mm', bottom: '14mm', left: '12mm', right: '12mm' } });
  } finally {
    await browser.close();
  }
}
