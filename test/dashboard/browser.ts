// playwright-core driving the system's Chromium (Debian's /usr/bin/chromium, installed by .ci/run):
// launch it, sign in through the dashboard's form, read what a chart drew.

import type { Browser, Page } from 'playwright-core';
import { CHROMIUM_ARGS, findChromium } from '../../src/report/pdf.js';

export const CHROMIUM = findChromium();
/** why the browser tests skip, when they do */
export const NO_CHROMIUM = 'no Chromium at /usr/bin/chromium (or TOLLGATE_CHROMIUM): apt-get install chromium, as .ci/run does; the browser tests skip';

export async function launchBrowser(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM!, args: CHROMIUM_ARGS });
}

/** signs in through the form (the way a person does) and waits for the app */
export async function signIn(page: Page, gatewayUrl: string, adminKey: string): Promise<void> {
  await page.goto(`${gatewayUrl}/dashboard`);
  await page.fill('#key', adminKey);
  await Promise.all([page.waitForURL(`${gatewayUrl}/dashboard`), page.click('button[type=submit]')]);
  await page.waitForSelector('header nav');
}

export interface DrawnSeries {
  name: string;
  type: string;
  /** the data points as drawn: numbers, [x, y] pairs, or { value } objects */
  data: unknown[];
}

/** what a chart drew, through ECharts' own API (the app exposes the library as globalThis.echarts) */
export async function chartSeries(page: Page, id: string): Promise<DrawnSeries[]> {
  await page.waitForSelector(`[data-chart="${id}"] canvas`);
  return page.evaluate((chartId) => {
    const el = document.querySelector(`[data-chart="${chartId}"]`) as HTMLElement;
    const ec = (globalThis as unknown as { echarts: { getInstanceByDom(el: HTMLElement): { getOption(): { series: Array<{ name: string; type: string; data: unknown[] }> } } } }).echarts;
    return ec.getInstanceByDom(el).getOption().series.map((s) => ({ name: String(s.name ?? ''), type: s.type, data: (s.data ?? []) as unknown[] }));
  }, id);
}

/** the exact value behind a headline figure (data-value) */
export async function figureValue(page: Page, id: string): Promise<number | null> {
  const v = await page.getAttribute(`[data-figure="${id}"]`, 'data-value');
  return v === null || v === '' ? null : Number(v);
}

/** a drawn point's y value */
export function yOf(d: unknown): number {
  if (typeof d === 'number') return d;
  if (Array.isArray(d)) return Number(d[1]);
  if (d && typeof d === 'object' && 'value' in d) return yOf((d as { value: unknown }).value);
  return Number.NaN;
}

/**
 * Takes a screenshot and checks it is a non-empty PNG; writes it to `dir/name.png` only when
 * TOLLGATE_WRITE_SCREENSHOTS=1 (the README's images are refreshed on purpose, not by every run:
 * a plain test run leaves the tree clean).
 */
export async function screenshot(page: Page, dir: string, name: string, opts: { fullPage?: boolean } = {}): Promise<Buffer> {
  const png = await page.screenshot({ fullPage: opts.fullPage ?? false });
  if (png.length < 1000 || png.subarray(1, 4).toString('latin1') !== 'PNG') throw new Error(`screenshot ${name}: not a PNG (${png.length} bytes)`);
  if (process.env.TOLLGATE_WRITE_SCREENSHOTS === '1') {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}.png`), png);
  }
  return png;
}
