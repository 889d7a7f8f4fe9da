// Config schema of the router and executor levers (`routes:` and `retry:` in tollgate.yaml).
import { z } from 'zod';

export const routesConfigSchema = z.record(z.string(), z.unknown()).default({});
export type RoutesConfig = z.infer<typeof routesConfigSchema>;

export const retryConfigSchema = z.object({}).strict().default({});
export type RetryConfig = z.infer<typeof retryConfigSchema>;
