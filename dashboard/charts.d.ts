// Types of charts.js for the TypeScript that imports it (the weekly report).
import type {
  CacheAnswer,
  HiddenCostsAnswer,
  LatencyAnswer,
  ModelsAnswer,
  BreakdownAnswer,
  TimeseriesAnswer,
  WaterfallAnswer,
} from '../src/insights/contract.js';
import type { RequestRecord } from '../src/ledger/record.js';

/** an ECharts option */
export type ChartOption = Record<string, unknown>;
type Format = (v: number | null | undefined) => string;

export function timeseriesChart(answer: TimeseriesAnswer, opts?: { format?: Format; stack?: boolean; area?: boolean }): ChartOption;
export function percentilesChart(answer: LatencyAnswer, which?: 'latencyMs' | 'ttftMs'): ChartOption;
export const LATENCY_COMPONENTS: Array<[keyof LatencyAnswer['components'], string]>;
export function latencyComponentsChart(answer: LatencyAnswer): ChartOption;
export function cacheHitRateChart(answer: CacheAnswer): ChartOption;
export function promptCacheChart(answer: CacheAnswer): ChartOption;
export function modelShareChart(answer: ModelsAnswer): ChartOption;
export function flowsChart(answer: ModelsAnswer): ChartOption;
export function breakdownChart(answer: BreakdownAnswer, fields: string | Array<[string, string]>, opts?: { format?: Format; limit?: number }): ChartOption;
export const PROMPT_COMPONENTS: Array<[string, string]>;
export function hiddenCostsChart(answer: HiddenCostsAnswer): ChartOption;
export const LEVER_NAMES: Record<string, string>;
export function waterfallChart(answer: WaterfallAnswer): ChartOption;
export function requestTimelineChart(rec: RequestRecord): ChartOption;
