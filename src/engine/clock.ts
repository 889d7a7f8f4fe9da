// The one clock of a request: epoch milliseconds with sub-millisecond precision. Every timestamp in
// a record (received, attempts, first byte, own calls) comes from here, so durations subtract.

export function now(): number {
  return performance.timeOrigin + performance.now();
}
