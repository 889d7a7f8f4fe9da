// `tollgate report`'s work, apart from the command line: read the answers, write the HTML (and the
// PDF and the JSON numbers when asked), telling a progress callback how far it got.

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { InsightQuery } from '../insights/contract.js';
import { collectReport, REPORT_STEPS, type InsightsSource, type ReportData } from './data.js';
import { renderReportHtml } from './html.js';

export interface WriteReportOptions {
  source: InsightsSource;
  query: InsightQuery;
  /** the HTML file; absent with `json` alone */
  out?: string;
  /** also write the PDF (beside the HTML: report.html → report.pdf) */
  pdf?: boolean;
  /** called with (done, total, label) as the report is made */
  onProgress?: (done: number, total: number, label: string) => void;
  now?: number;
}

export interface WrittenReport {
  data: ReportData;
  htmlFile?: string;
  pdfFile?: string;
}

export function pdfPathFor(out: string): string {
  return /\.html?$/i.test(out) ? out.replace(/\.html?$/i, '.pdf') : `${out}.pdf`;
}

export async function writeReport(opts: WriteReportOptions): Promise<WrittenReport> {
  const total = REPORT_STEPS + (opts.out ? 1 : 0) + (opts.pdf ? 1 : 0);
  let done = 0;
  const tick = (label: string): void => opts.onProgress?.(++done, total, label);
  const data = await collectReport(opts.source, opts.query, tick, opts.now);
  if (!opts.out) return { data };
  const html = renderReportHtml(data);
  await mkdir(dirname(opts.out), { recursive: true });
  await writeFile(opts.out, html);
  tick('html');
  let pdfFile: string | undefined;
  if (opts.pdf) {
    const { renderPdf } = await import('./pdf.js');
    pdfFile = pdfPathFor(opts.out);
    await writeFile(pdfFile, await renderPdf(html));
    tick('pdf');
  }
  return { data, htmlFile: opts.out, pdfFile };
}
