import { expect, test } from 'vitest';
import { createCountingSink } from '../../src/receiver/counting-sink.js';
import type { LogEntry } from '../../src/log-entry.js';

test('the counting sink counts every entry it is handed and always accepts', async () => {
  const sink = createCountingSink();
  const entry = { message: 'x' } as LogEntry;
  await sink.pipeline([entry, entry]);
  await sink.pipeline([entry]);
  expect(sink.count()).toBe(3);
});
