import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startSimulator, type SimulatorOptions } from '../../src/sim/index.js';

export async function withSim(opts: SimulatorOptions = {}) {
  const sim = await startSimulator({ latencyScale: 0, ...opts });
  const openai = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'sk-test', maxRetries: 0 });
  const anthropic = new Anthropic({ baseURL: sim.url, apiKey: 'sk-ant-test', maxRetries: 0 });
  return { sim, openai, anthropic };
}

/** parse a raw SSE body into [event, data] pairs */
export function parseSse(text: string): { event?: string; data: string }[] {
  return text
    .split('\n\n')
    .filter((b) => b.trim() !== '')
    .map((block) => {
      let event: string | undefined;
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      return { event, data: data.join('\n') };
    });
}

/** a prompt of roughly n o200k tokens (a few words repeat, ~1 token each) */
export function longText(n: number, salt = ''): string {
  const words = ['alpha', 'beta', 'gamma', 'delta', 'river', 'stone', 'cloud', 'paper', 'green', 'quiet'];
  const out: string[] = [salt];
  for (let i = 0; i < n; i++) out.push(words[(i * 7 + salt.length) % words.length]!);
  return out.join(' ');
}
