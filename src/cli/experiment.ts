// `tollgate experiment start|status|stop`: experiments of a running gateway, through its admin API.
import type { Command } from 'commander';
import { CliError, call, connOptions, run, type Conn } from './flags.js';

interface Status {
  def: { name: string; target: string; variant: Record<string, unknown>; ramp: number[] };
  state: string;
  sharePercent: number;
  reason?: string;
  arms: Record<string, { requests: number; errors?: number; meanLatencyMs?: number | null; costPerRequestUsd?: number | null }>;
  guardrails: { metric: string; control: number | null; variant: number | null; margin: number | null; verdict: string; comparison?: { diff: number; ci: [number, number] } }[];
}

const n = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : Number(v.toPrecision(3)).toString());

function print(s: Status): void {
  console.log(`${s.def.name} on ${s.def.target}: ${s.state}, variant share ${s.sharePercent}% (ramp ${s.def.ramp.join(' → ')}), variant ${JSON.stringify(s.def.variant)}${s.reason ? `\n  ${s.reason}` : ''}`);
  for (const [arm, a] of Object.entries(s.arms)) console.log(`  ${arm.padEnd(8)} ${a.requests} requests, ${a.errors ?? 0} errors, mean latency ${n(a.meanLatencyMs)} ms, ${n(a.costPerRequestUsd)} $/request`);
  for (const g of s.guardrails) {
    const ci = g.comparison ? ` diff ${n(g.comparison.diff)} [${n(g.comparison.ci[0])}, ${n(g.comparison.ci[1])}]` : '';
    console.log(`  ${g.metric.padEnd(22)} control ${n(g.control)} variant ${n(g.variant)}${ci} allowed +${n(g.margin)}: ${g.verdict}`);
  }
}

export function registerExperimentCommand(program: Command): void {
  const exp = program.command('experiment').description('canaries: a variant policy on a sticky, ramped share of a route, rolled back when a guardrail breaks');

  connOptions(exp.command('start <name>').description('start an experiment on --target with the variant policy given'))
    .requiredOption('--target <route-or-model>', 'whose traffic is split')
    .option('--model <model>', 'variant: send to this model')
    .option('--tier <tier>', 'variant: use this tier of the target route')
    .option('--max-tier <tier>', 'variant: never above this tier')
    .option('--lever <name=on|off>', 'variant: a lever on or off (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--ramp <percents>', 'the variant share at each step', '1,5,25,50,100')
    .option('--sticky-by <what>', 'session, user or key', 'session')
    .option('--min-step-minutes <m>', 'each step lasts at least this long', '10')
    .option('--min-samples <n>', 'and has at least this many requests in each arm', '200')
    .option('--alpha <a>', '1 - confidence of every verdict', '0.05')
    .action(run(async (name: string, o: Conn & { target: string; model?: string; tier?: string; maxTier?: string; lever: string[]; ramp: string; stickyBy: string; minStepMinutes: string; minSamples: string; alpha: string }) => {
      const levers: Record<string, boolean> = {};
      for (const l of o.lever) {
        const m = /^([^=]+)=(on|off)$/.exec(l);
        if (!m) throw new CliError(`--lever takes name=on|off (got '${l}')`);
        levers[m[1]!] = m[2] === 'on';
      }
      const variant = { ...(o.model ? { model: o.model } : {}), ...(o.tier ? { tier: o.tier } : {}), ...(o.maxTier ? { maxTier: o.maxTier } : {}), ...(o.lever.length ? { levers } : {}) };
      const body = { name, target: o.target, variant, ramp: o.ramp.split(',').map(Number), stickyBy: o.stickyBy, minStepMinutes: Number(o.minStepMinutes), minSamples: Number(o.minSamples), alpha: Number(o.alpha) };
      const s = (await call(o, 'POST', '/admin/experiments', body)) as Status;
      if (o.json) console.log(JSON.stringify(s, null, 2));
      else print(s);
    }, 'experiment'));

  connOptions(exp.command('status [name]').description('one experiment, or all: arms, guardrails with their always-valid intervals, state'))
    .action(run(async (name: string | undefined, o: Conn) => {
      const list = name ? [(await call(o, 'GET', `/admin/experiments/status?name=${encodeURIComponent(name)}`)) as Status] : ((await call(o, 'GET', '/admin/experiments')) as { experiments: Status[] }).experiments;
      if (o.json) return void console.log(JSON.stringify(name ? list[0] : { experiments: list }, null, 2));
      if (!list.length) console.log('no experiments');
      list.forEach(print);
    }, 'experiment'));

  connOptions(exp.command('stop <name>').description('stop an experiment: everyone back to the baseline'))
    .requiredOption('--reason <why>', 'why (kept in the flags audit log)')
    .action(run(async (name: string, o: Conn & { reason: string }) => {
      const s = (await call(o, 'POST', `/admin/experiments/stop?name=${encodeURIComponent(name)}&reason=${encodeURIComponent(o.reason)}`)) as Status;
      if (o.json) console.log(JSON.stringify(s, null, 2));
      else print(s);
    }, 'experiment'));
}
