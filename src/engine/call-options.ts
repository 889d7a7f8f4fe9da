// The options of one upstream call, made by the engine's two call sites (the request's attempt and
// the gateway's own calls). A class, so `signal` is a prototype getter: an object literal with a
// getter costs an accessor pair per call, which V8 allocates in the old generation, and that pair
// then kept the call's young closure and context alive through every young-generation GC.

import type { WireFormat } from '../core/canonical.js';
import type { GatewayContext } from '../pipeline/stage.js';
import type { CallOptions, CallTimings } from '../providers/contract.js';
import type { AbortLink } from '../providers/shared/abort-link.js';

export class UpstreamCallOptions implements CallOptions {
  readonly abort: AbortLink | undefined;
  rawBody?: Buffer;
  wireFormat?: WireFormat;
  headers?: Record<string, string>;
  foreignSignatures?: boolean;

  constructor(
    private readonly ctx: GatewayContext,
    readonly model: string,
    readonly timeoutMs: number,
    readonly timings: CallTimings,
  ) {
    this.abort = ctx.clientAbort;
  }

  /** made only when an adapter asks for it (the client's abort as an AbortSignal) */
  get signal(): AbortSignal {
    return this.ctx.signal;
  }
}
