#!/usr/bin/env node
// Regenerates src/core/prices/data.generated.ts, the offline price catalog, from the pydantic/genai-prices
// v2 data file (MIT). Usage:
//   node scripts/update-prices.mjs [--source path/to/data.json] [--date YYYY-MM-DD] [--commit <sha>]
// Defaults read ../shared/data/pricing/genai-prices_v2_data.json and its README.txt (for the commit).
//
// What it keeps: the providers below, their models' match rules, list prices per 1M tokens (input,
// cache read, cache write 5m / 1h, output, reasoning), long-context tiers and start-date price changes.
// What it drops: audio/image/video prices and per-request / web-search fees, which the gateway does not
// bill. Periods keep the source order: the LAST period whose constraint holds applies (as in genai-prices).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..');

const args = new Map();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);

const sourcePath = resolve(args.get('source') ?? resolve(repo, '../shared/data/pricing/genai-prices_v2_data.json'));
const readmePath = resolve(dirname(sourcePath), 'README.txt');
let commit = args.get('commit');
if (!commit) {
  try {
    commit = /genai-prices\s+([0-9a-f]{40})/.exec(readFileSync(readmePath, 'utf8'))?.[1];
  } catch {
    /* no README next to the data: the commit must be given */
  }
}
if (!commit) throw new Error('genai-prices commit unknown: pass --commit <sha>');
// Date of that commit (wire-and-telemetry-facts.md §4: 47df840a is 2026-08-21).
const date = args.get('date') ?? (commit.startsWith('47df840a') ? '2026-08-21' : undefined);
if (!date || !/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new Error('pass --date YYYY-MM-DD (the data commit date)');

// Providers kept, in lookup order for model-only lookups, with the vendor's published Batch API
// discount (OpenAI, Anthropic and Gemini batch: 50% of input and output; wire-and-telemetry-facts §3-4).
// Providers without a documented batch discount get 0.
const PROVIDERS = {
  openai: { batchDiscount: 0.5 },
  anthropic: { batchDiscount: 0.5 },
  google: { batchDiscount: 0.5, skipModel: (id) => id.startsWith('claude') /* Vertex-hosted Claude */ },
  deepseek: { batchDiscount: 0 },
  mistral: { batchDiscount: 0 },
  'x-ai': { batchDiscount: 0 },
};

// Corrections applied on top of the source snapshot, each with its evidence. Keep this list short and
// drop an entry once the source data carries the fix.
const CORRECTIONS = [
  {
    provider: 'anthropic',
    model: 'claude-sonnet-5',
    dropPeriodFrom: '2026-09-01',
    why:
      'Anthropic made the introductory $2/$10 Sonnet 5 rates permanent and cancelled the 2026-09-01 increase ' +
      '(@pydantic/genai-prices 0.1.8, 2026-09-23, price_comments of claude-sonnet-5)',
  },
];

const FIELD = {
  input_mtok: 'input',
  output_mtok: 'output',
  cache_read_mtok: 'cacheRead',
  cache_write_mtok: 'cacheWrite5m',
  cache_write_1h_mtok: 'cacheWrite1h',
  output_reasoning_mtok: 'reasoning',
};

const isNum = (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** genai-prices price object -> { rates, tiers } with our field names. Tiers are merged by threshold. */
function convertPrices(p) {
  const rates = {};
  const thresholds = new Set();
  for (const [k, name] of Object.entries(FIELD)) {
    const v = p[k];
    if (v === undefined) continue;
    if (isNum(v)) rates[name] = v;
    else if (v && isNum(v.base)) {
      rates[name] = v.base;
      for (const t of v.tiers ?? []) thresholds.add(t.start);
    } else throw new Error(`unexpected price shape for ${k}: ${JSON.stringify(v)}`);
  }
  const tiers = [...thresholds]
    .sort((a, b) => a - b)
    .map((start) => {
      const tier = { above: start };
      for (const [k, name] of Object.entries(FIELD)) {
        const v = p[k];
        if (v === undefined) continue;
        if (isNum(v)) tier[name] = v;
        else {
          // a field's price at this threshold: its highest tier starting at or below it, else its base
          let price = v.base;
          for (const t of v.tiers) if (t.start <= start) price = t.price;
          tier[name] = price;
        }
      }
      return tier;
    });
  return tiers.length ? { rates, tiers } : { rates };
}

function convertModel(m) {
  const list = Array.isArray(m.prices) ? m.prices : [{ prices: m.prices }];
  const periods = [];
  for (const entry of list) {
    const c = entry.constraint;
    const conv = convertPrices(entry.prices);
    if (conv.rates.input === undefined && conv.rates.output === undefined) continue;
    if (!c) periods.push(conv);
    else if (c.start_date) periods.push({ from: c.start_date, ...conv });
    // time-of-day prices (e.g. DeepSeek's peak window), UTC, end exclusive; may wrap midnight
    else if (c.start_time && c.end_time) periods.push({ utcWindow: [c.start_time.replace(/Z$/, ''), c.end_time.replace(/Z$/, '')], ...conv });
    else throw new Error(`unknown price constraint on ${m.id}: ${JSON.stringify(c)}`);
  }
  if (!periods.length) return undefined;
  const out = { id: m.id };
  if (m.name) out.name = m.name;
  out.match = m.match;
  out.periods = periods;
  return out;
}

const raw = JSON.parse(readFileSync(sourcePath, 'utf8'));
const providers = [];
for (const [id, opts] of Object.entries(PROVIDERS)) {
  const p = raw.find((x) => x.id === id);
  if (!p) throw new Error(`provider ${id} missing from ${sourcePath}`);
  const models = p.models
    .filter((m) => !opts.skipModel?.(m.id))
    .map(convertModel)
    .filter(Boolean);
  for (const fix of CORRECTIONS.filter((c) => c.provider === id)) {
    const m = models.find((x) => x.id === fix.model);
    const before = m?.periods.length;
    if (m) m.periods = m.periods.filter((pr) => pr.from !== fix.dropPeriodFrom);
    if (!m || m.periods.length === before) throw new Error(`correction no longer applies (drop it): ${JSON.stringify(fix)}`);
  }
  providers.push({ id, batchDiscount: opts.batchDiscount, models });
}

const version = `${date}+genai-prices.${commit.slice(0, 8)}${CORRECTIONS.length ? `+${CORRECTIONS.length}fix` : ''}`;
const lines = [];
lines.push('// GENERATED by scripts/update-prices.mjs: do not edit by hand; regenerate instead.');
lines.push(`// Source: pydantic/genai-prices prices/new_data/v2/data.json @ ${commit} (${date}), MIT licence.`);
lines.push('// Prices in USD per 1M tokens. See src/core/prices/README.md.');
for (const c of CORRECTIONS) lines.push(`// Correction: ${c.provider}/${c.model}: ${c.why}.`);
lines.push("import type { CatalogData } from './types.js';");
lines.push('');
lines.push('export const CATALOG_DATA: CatalogData = {');
lines.push(`  version: ${JSON.stringify(version)},`);
lines.push(`  source: { repo: 'pydantic/genai-prices', commit: ${JSON.stringify(commit)}, date: ${JSON.stringify(date)}, license: 'MIT' },`);
lines.push('  providers: [');
for (const p of providers) {
  lines.push(`    { id: ${JSON.stringify(p.id)}, batchDiscount: ${p.batchDiscount}, models: [`);
  for (const m of p.models) lines.push(`      ${JSON.stringify(m)},`);
  lines.push('    ] },');
}
lines.push('  ],');
lines.push('};');
lines.push('');

const outPath = resolve(repo, 'src/core/prices/data.generated.ts');
writeFileSync(outPath, lines.join('\n'));
const count = providers.reduce((s, p) => s + p.models.length, 0);
console.log(`wrote ${outPath}: ${providers.length} providers, ${count} models, version ${version}`);
