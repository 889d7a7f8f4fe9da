// A slow-reading stream client makes the relay wait for 'drain' again and again; no wait may leave
// a listener behind (it used to leave one 'close' listener per wait).

import { EventEmitter } from 'node:events';
import { expect, it } from 'vitest';
import { drained } from '../../src/server/http-util.js';

it('waiting for drain a thousand times leaves no listener behind', async () => {
  const res = new EventEmitter();
  const warnings: unknown[] = [];
  const onWarning = (w: unknown) => warnings.push(w);
  process.on('warning', onWarning);
  for (let i = 0; i < 1000; i++) {
    const wait = drained(res);
    res.emit('drain');
    await wait;
  }
  const closing = drained(res);
  res.emit('close');
  await closing;
  process.off('warning', onWarning);
  expect(res.listenerCount('drain')).toBe(0);
  expect(res.listenerCount('close')).toBe(0);
  expect(warnings).toEqual([]);
});
