// Abort without an EventTarget on the hot path. An AbortController costs an EventTarget (a Map of
// listeners, weak-ref bookkeeping) per request and another per upstream call, and every
// addEventListener/removeEventListener pair on it shows in the gateway's CPU profile. undici accepts
// any EventEmitter-like `signal` (`on`/`once`/`removeListener`, `aborted`, `reason`), so the request
// and each call use this plain flag instead, and a real AbortSignal is made only when someone asks
// for one (a retry's backoff sleep, a stage, an SDK-style caller).

/** What a call needs to hear about an abort: the EventEmitter subset undici understands. */
export interface AbortLink {
  readonly aborted: boolean;
  readonly reason: unknown;
  on(event: 'abort', fn: () => void): unknown;
  once(event: 'abort', fn: () => void): unknown;
  removeListener(event: 'abort', fn: () => void): unknown;
}

export class AbortFlag implements AbortLink {
  aborted = false;
  reason: unknown = undefined;
  private fns: (() => void)[] | undefined;
  private controller: AbortController | undefined;

  on(_event: 'abort', fn: () => void): this {
    (this.fns ??= []).push(fn);
    return this;
  }

  /** listeners run at most once anyway: an abort happens once */
  once(event: 'abort', fn: () => void): this {
    return this.on(event, fn);
  }

  removeListener(_event: 'abort', fn: () => void): this {
    const fns = this.fns;
    if (fns) {
      const i = fns.indexOf(fn);
      if (i !== -1) fns.splice(i, 1);
    }
    return this;
  }

  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    // the same reason an AbortController gives by default
    this.reason = reason ?? new DOMException('This operation was aborted', 'AbortError');
    const fns = this.fns;
    this.fns = undefined;
    if (fns) for (const fn of fns) fn();
    this.controller?.abort(this.reason);
  }

  /** a standard AbortSignal that follows this flag, made on first use */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }
}

/** Subscribes to an AbortLink or an AbortSignal; returns the unsubscribe function. */
export function onAbort(src: AbortLink | AbortSignal, fn: () => void): () => void {
  if (src instanceof AbortFlag) {
    src.once('abort', fn);
    return () => src.removeListener('abort', fn);
  }
  const signal = src as AbortSignal;
  signal.addEventListener('abort', fn, { once: true });
  return () => signal.removeEventListener('abort', fn);
}
