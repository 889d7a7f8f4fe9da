// The cache lever: exact and semantic response caching (createCacheStage) and Anthropic prompt-cache
// breakpoint injection with the cacheable-prefix metric (createPromptCacheStage).
export { createCacheStage, type CacheDeps, type CacheStage, type RouteStats, type VerifyResult } from './stage.js';
export { createPromptCacheStage, type PromptCacheStage } from './prompt-cache.js';
export { cacheConfigSchema, type CacheConfig, type CacheConfigInput } from './config.js';
