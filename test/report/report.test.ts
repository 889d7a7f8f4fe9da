// `tollgate report` over a data directory seeded with a week of synthetic traffic: the JSON
// numbers, the HTML (opened in Chromium: every section's chart is an SVG that drew data, the
// figures are the ledger's, nothing is fetched) and the PDF (a real PDF with pages), all checked
// against answers computed here from the seeded records.

import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReportCommand } from '../../src/cli/report.js';
import { renderReportHtml } from '../../src/report/html.js';
import type { ReportData } from '../../src/report/data.js';
import { CHROMIUM, NO_CHROMIUM, launchBrowser } from '../dashboard/browser.js';
import { close, seedLedger, truth, type SeededLedger } from '../dashboard/ledger-truth.js';

let seeded: SeededLedger;
let t: ReturnType<typeof truth>;
let out: string;
let json: ReportData;
let stderr = '';

function io(sink: { out: string }) {
  return { out: (s: string) => void (sink.out += s), err: (s: string) => void (stderr += s), progress: false };
}

beforeAll(async () => {
  seeded = await seedLedger(3000, 23);
  t = truth(seeded.records);
  out = join(seeded.dataDir, 'reports', 'report.html');
  const sink = { out: '' };
  const code = await runReportCommand(
    { since: new Date(seeded.from).toISOString(), until: new Date(seeded.to).toISOString(), out, json: true, pdf: Boolean(CHROMIUM), dataDir: seeded.dataDir },
    io(sink),
    {},
  );
  expect(code, stderr).toBe(0);
  json = JSON.parse(sink.out) as ReportData;
}, 240_000);

afterAll(() => {
  if (seeded) rmSync(seeded.dataDir, { recursive: true, force: true });
});

describe('tollgate report --json', () => {
  it("gives the ledger's numbers", () => {
    expect(json.overview.requests).toBe(t.requests);
    expect(close(json.overview.costUsd, t.costUsd)).toBe(true);
    expect(close(json.overview.savedUsd, t.savedUsd)).toBe(true);
    expect(close(json.overview.errorRate, t.errorRate)).toBe(true);
    expect(close(json.overview.cacheHitRate, t.cacheHitRate)).toBe(true);
    expect(close(json.waterfall.counterfactualUsd, t.counterfactualUsd)).toBe(true);
    expect(close(json.waterfall.actualUsd, t.costUsd)).toBe(true);
    expect(new Map(json.waterfall.bars.map((b) => [b.lever, b.savedUsd])).size).toBe(t.levers.size);
    for (const b of json.waterfall.bars) expect(close(b.savedUsd, t.levers.get(b.lever)!), b.lever).toBe(true);
    for (const r of json.byModel.rows) expect(close(r.costUsd, t.costByModel.get(r.key)!), r.key).toBe(true);
    expect(json.byModel.rows.length).toBe(t.costByModel.size);
    expect(new Map(json.models.flows.map((f) => [`${f.route} → ${f.model}`, f.requests]))).toEqual(t.flows);
    expect(Math.abs(json.overview.latencyMs.p50! - t.latencyP50!) / t.latencyP50!).toBeLessThan(0.05);
  });

  it('answers a clear error for a data directory with no ledger, a bad --since, and --pdf without --out', async () => {
    const sink = { out: '' };
    stderr = '';
    expect(await runReportCommand({ since: '7d', dataDir: join(seeded.dataDir, 'nope') }, io(sink), {})).toBe(1);
    expect(stderr).toMatch(/no ledger at .*nope/);
    stderr = '';
    expect(await runReportCommand({ since: 'last tuesday', dataDir: seeded.dataDir }, io(sink), {})).toBe(1);
    expect(stderr).toMatch(/--since\/--until: expected a duration/);
    stderr = '';
    expect(await runReportCommand({ since: '7d', json: true, pdf: true, dataDir: seeded.dataDir }, io(sink), {})).toBe(1);
    expect(stderr).toMatch(/--pdf prints the HTML report: give --out FILE/);
  });
});

describe('the HTML', () => {
  it('is one self-contained file: no script, nothing fetched, client-controlled names escaped', () => {
    const html = readFileSync(out, 'utf8');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\b(src|href)=["']?(https?:)?\/\//i);
    expect(html).toContain("default-src 'none'");
    const hostile = renderReportHtml({ ...json, byModel: { ...json.byModel, rows: [{ ...json.byModel.rows[0]!, key: '<script>alert(1)</script>' }] } });
    expect(hostile).not.toContain('<script>alert(1)</script>');
    expect(hostile).toContain('&#60;script&#62;');
  });

  it.skipIf(!CHROMIUM)("opens in Chromium with every section's chart drawn and the ledger's figures", async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const fetched: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith('file:')) fetched.push(r.url());
      });
      await page.goto(pathToFileURL(out).href);
      for (const h of ['Summary', 'Latency percentiles', 'Spend', 'Cache effectiveness', 'Model distribution', 'Hidden costs', 'Savings waterfall']) {
        expect(await page.locator(`h2:text-is("${h}")`).count(), h).toBe(1);
      }
      for (const id of ['latency-e2e', 'spend-daily', 'cache-hit-rate', 'models-share', 'hidden-costs', 'waterfall']) {
        const paths = await page.locator(`[data-chart="${id}"] svg path`).count();
        expect(paths, id).toBeGreaterThan(5);
      }
      const figure = async (id: string) => Number(await page.getAttribute(`[data-figure="${id}"]`, 'data-value'));
      expect(await figure('requests')).toBe(t.requests);
      expect(close(await figure('costUsd'), t.costUsd)).toBe(true);
      expect(close(await figure('counterfactualUsd'), t.counterfactualUsd)).toBe(true);
      expect(close(await figure('actualUsd'), t.costUsd)).toBe(true);
      expect(close(await figure('cacheLookupHitRate'), t.cacheHits / t.lookups)).toBe(true);
      // one row per model in the spend table, with its requests
      expect(await page.locator('[data-table="spend-models"] tbody tr').count()).toBe(t.costByModel.size);
      expect(fetched).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});

describe('the PDF', () => {
  if (!CHROMIUM) console.warn(`test/report/report.test.ts: ${NO_CHROMIUM}`);
  it.skipIf(!CHROMIUM)('is a real PDF with pages, beside the HTML', () => {
    const pdfFile = out.replace(/\.html$/, '.pdf');
    expect(existsSync(pdfFile)).toBe(true);
    const pdf = readFileSync(pdfFile);
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.subarray(-1024).toString('latin1')).toContain('%%EOF');
    const text = pdf.toString('latin1');
    const pages = text.match(/\/Type\s*\/Page(?!s)/g)?.length ?? 0;
    // seven sections with charts and tables do not fit on one A4 page
    expect(pages).toBeGreaterThanOrEqual(3);
    const declared = /\/Type\s*\/Pages[^>]*\/Count\s+(\d+)/.exec(text) ?? /\/Count\s+(\d+)[^>]*\/Type\s*\/Pages/.exec(text);
    expect(Number(declared?.[1])).toBe(pages);
  });
});
