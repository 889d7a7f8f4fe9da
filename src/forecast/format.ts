// Terminal rendering of the forecast reports: tables and horizontal bars in plain text (a bar per
// waterfall step reads better in a terminal than a line chart, and needs no dependency).

import type { CalcResult } from './calc.js';

export function money(x: number): string {
  const abs = Math.abs(x);
  const digits = abs >= 100 ? 0 : abs >= 1 ? 2 : abs >= 0.01 ? 4 : 6;
  return `${x < 0 ? '-' : ''}$${abs.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}

export function pct(x: number, digits = 0): string {
  return `${(x * 100).toFixed(digits)}%`;
}

/** columns padded to their widest cell; numbers (and $ figures) right-aligned */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const right = header.map((_, i) => rows.length > 0 && rows.every((r) => /^[-+$~]?[\d$.,%x-]/.test(r[i] ?? '') || (r[i] ?? '') === ''));
  const line = (cells: string[]) => cells.map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function bar(value: number, max: number, width = 40): string {
  const n = max > 0 ? Math.max(0, Math.round((value / max) * width)) : 0;
  return '█'.repeat(n);
}

export function formatCalc(r: CalcResult): string {
  const out: string[] = [];
  out.push(`Cost: ${money(r.dailyUsd)} a day, ${money(r.monthlyUsd)} over ${r.days} days (${r.requestsPerDay.toLocaleString('en-US')} requests a day, ${money(r.costPerRequestUsd)} each)`);
  out.push(`Prices: catalog ${r.catalogVersion}, in force ${r.pricesAt.slice(0, 10)}`);
  out.push('');
  out.push(
    table(
      ['model', 'share', 'requests/day', 'per request', 'batch', 'per day'],
      r.models.map((m) => [m.model + (m.source === 'override' ? ' (override)' : ''), pct(m.share, 1), Math.round(m.requestsPerDay).toLocaleString('en-US'), money(m.costPerRequestUsd), money(m.batchCostPerRequestUsd), money(m.dailyUsd)]),
    ),
  );
  if (r.waterfall.length > 1) {
    out.push('', 'Waterfall (monthly), one lever at a time:');
    const max = r.waterfall[0]!.monthlyUsd;
    const w = Math.max(...r.waterfall.map((s) => s.label.length));
    for (const s of r.waterfall) {
      const delta = s.lever === 'baseline' ? '' : ` ${money(s.deltaUsd)} (${s.deltaPct >= 0 ? '+' : ''}${pct(s.deltaPct)})`;
      out.push(`  ${s.label.padEnd(w)}  ${money(s.monthlyUsd).padStart(12)}${delta.padEnd(22)} ${bar(s.monthlyUsd, max, 30)}`);
    }
    const first = r.waterfall[0]!.monthlyUsd;
    const last = r.waterfall[r.waterfall.length - 1]!.monthlyUsd;
    if (first > 0) out.push(`  total: ${money(last - first)} (${pct((last - first) / first)})`);
  }
  if (r.sensitivity.length) {
    out.push('', `Sensitivity: each assumption moved by the same ± share (monthly bill at low / high):`);
    out.push(
      table(
        ['assumption', 'base', 'low', 'high', 'monthly low', 'monthly high', 'swing'],
        r.sensitivity.map((s) => [s.assumption, fmt(s.base), fmt(s.low), fmt(s.high), money(s.monthlyLowUsd), money(s.monthlyHighUsd), money(s.swingUsd)]),
      ),
    );
  }
  const g = r.projection;
  if (g.length && g[0]!.monthlyUsd !== g[g.length - 1]!.monthlyUsd) {
    out.push('', 'Projection with growth:');
    const max = Math.max(...g.map((p) => p.monthlyUsd));
    for (const p of g) out.push(`  month ${String(p.month).padStart(2)}  ${money(p.monthlyUsd).padStart(12)}  ${bar(p.monthlyUsd, max, 30)}`);
  }
  if (r.selfHost) {
    const s = r.selfHost;
    out.push('', `Self-hosting ${s.name} on ${s.gpus} x ${s.gpuType}:`);
    out.push(`  ${money(s.monthlyUsd)}/month (${s.deployments} deployment${s.deployments > 1 ? 's' : ''}: ${money(s.infraMonthlyUsd)} of GPUs each, ${money(s.staffMonthlyUsd)} staff); ${money(s.usdPerMTokens)} per 1M tokens at its utilisation`);
    out.push(`  capacity ${Math.round(s.capacityTokensPerDay).toLocaleString('en-US')} tokens/day per deployment; the scenario needs ${Math.round(s.scenarioTokensPerDay).toLocaleString('en-US')}`);
    out.push(
      table(
        ['against', 'API monthly', 'break-even requests/day', 'one deployment enough'],
        s.breakEven.map((b) => [b.model, money(b.apiMonthlyUsd), Number.isFinite(b.breakEvenRequestsPerDay) ? b.breakEvenRequestsPerDay.toLocaleString('en-US') : 'never', b.withinCapacity ? 'yes' : 'no']),
      )
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
    );
    out.push(`  ${s.rule.text}`);
  }
  for (const n of r.notes) out.push(`note: ${n}`);
  return out.join('\n');
}

function fmt(x: number): string {
  return Number.isInteger(x) ? x.toLocaleString('en-US') : x < 1 ? x.toFixed(3) : x.toFixed(1);
}

/** the playbook's table: model, average latency, cost per 1K tokens, quality, notes */
export function formatGrid(run: import('./grid.js').GridRun): string {
  const rows = run.cells.map((c) => [
    `${c.pareto ? '* ' : '  '}${c.model}`,
    String(c.temperature),
    String(c.maxTokens),
    c.avgLatencyMs.toFixed(0),
    c.avgTtftMs.toFixed(0),
    c.costPer1kTokensUsd.toFixed(5),
    money(c.costPerRequestUsd),
    c.quality === undefined ? 'n/a' : `${c.quality.toFixed(2)} (${c.qualitySource}, n=${c.qualityN})`,
    c.notes.join('; '),
  ]);
  const out = [
    `Benchmark grid: ${run.items} prompts x ${run.models.length} models x ${run.temperatures.length} temperatures x ${run.maxTokens.length} max-token settings via ${run.baseUrl}`,
    '',
    table(['model', 'temp', 'max tokens', 'avg latency (ms)', 'avg TTFT (ms)', 'cost / 1K tokens (USD)', 'per request', 'quality', 'notes'], rows),
    '',
    '* on the Pareto frontier of cost, latency and quality (nothing else is at least as good on all three and better on one)',
  ];
  // cost against latency, one line per cell: where the frontier sits
  const max = Math.max(...run.cells.map((c) => c.costPerRequestUsd), 0);
  out.push('', 'Cost per request:');
  for (const c of run.cells) out.push(`  ${c.pareto ? '*' : ' '} ${`${c.model} t=${c.temperature} max=${c.maxTokens}`.padEnd(36)} ${bar(c.costPerRequestUsd, max, 30).padEnd(30)} ${money(c.costPerRequestUsd)}, ${c.avgLatencyMs.toFixed(0)} ms`);
  if (run.judge) out.push('', `Judge ${run.judge.model}: ${run.judge.calls} calls on a ${pct(run.judge.sample)} sample, ${money(run.judge.costUsd)}`);
  out.push(`Total spent: ${money(run.totalCostUsd)} (prices: ${run.catalogVersion})`);
  return out.join('\n');
}
