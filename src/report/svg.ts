// ECharts rendered to an SVG string in Node (its server-side renderer: no DOM, no canvas), so a
// report's charts are part of its HTML and need nothing to draw them.

import * as echarts from 'echarts';
import type { ChartOption } from '../../dashboard/charts.js';

export function renderSvg(option: ChartOption, width = 960, height = 320): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ ...option, animation: false } as echarts.EChartsOption);
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
