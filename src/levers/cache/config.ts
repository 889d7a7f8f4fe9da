// Config schema of the cache lever (`cache:` in tollgate.yaml). Owned by the cache lever.
import { z } from 'zod';

export const cacheConfigSchema = z.object({}).strict().default({});
export type CacheConfig = z.infer<typeof cacheConfigSchema>;
