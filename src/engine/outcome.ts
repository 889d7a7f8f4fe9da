// What happened to a request, as the edge that served it saw it; the engine turns it into the
// request's one record.

import type { ChatResponse, Usage } from '../core/canonical.js';

export interface Outcome {
  httpStatus: number;
  error?: unknown;
  /** the client went away before the answer was complete */
  aborted?: boolean;
  /** what the client was served (complete, or accumulated from the stream) */
  response?: ChatResponse;
  /** the stream ended without a finish (upstream cut, error event) */
  cut?: boolean;
  usage?: Usage;
  source?: 'upstream' | 'cache';
}
