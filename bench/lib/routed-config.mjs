import { join } from 'node:path';

// `routed` is the same gateway with routing on (issue 4: the overhead figures must not get worse
// with routing on): the bench's model name carries a route (a route attached to a real name, so
// the request body stays the same for every system) with the 8 rules of bench/router-decision.mjs
// and the MMLU classifier at its ≥95%-quality operating point. None of the rules matches the bench
// prompt, so every request pays for all 8 rules and a classifier score; both tiers are served by
// the mock (the strong tier under another model id, so choosing it rewrites the body).
export function routedGatewayConfig(root) {
  return {
    models: 'models: [ { name: gpt-4o-mini, provider: mock }, { name: gpt-4o, provider: mock } ]',
    extraConfig: [
      'routes:',
      '  gpt-4o-mini:',
      '    tiers: [ { name: cheap, models: [gpt-4o-mini] }, { name: strong, models: [gpt-4o] } ]',
      '    rules:',
      "      - { name: premium, when: { user_tier: premium }, tier: strong }",
      "      - { name: task, when: { header: { x-tollgate-task: [extract, classify] } }, tier: cheap }",
      "      - { name: priority, when: { json_path: { path: '$.metadata.priority', equals: high } }, tier: strong }",
      '      - { name: tools, when: { tools: true }, tier: strong }',
      '      - { name: schema, when: { response_format: json_schema }, tier: strong }',
      "      - { name: legal, when: { keywords: [indemnify, force majeure, liability cap, arbitration clause] }, tier: strong }",
      "      - { name: code, when: { regex: ['```', '(?i)\\bstack trace\\b'] }, tier: strong }",
      '      - { name: long, when: { input_tokens_gt: 6000 }, tier: strong }',
      `    classifier: { weights: ${JSON.stringify(join(root, 'data', 'router', 'mmlu.json'))}, target: { quality_ge: 0.95 } }`,
    ],
  };
}
