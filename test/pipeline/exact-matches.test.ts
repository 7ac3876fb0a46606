import { describe, expect, it } from 'vitest';
import { createExactMatches, type ExactMatches } from '../../src/pipeline/exact-matches.js';

function remember(memo: ExactMatches<string>, masked: string, value: string, stamp = 1): void {
  memo.set(memo.get(masked), masked, masked.split(' '), value, stamp);
}

describe('exact matches', () => {
  it('takes a message in only when it comes back, then answers for any equal string', () => {
    const memo = createExactMatches<string>(4, 100);
    remember(memo, 'worker <NUM> started', 'a');
    expect(memo.get('worker <NUM> started')).toBeUndefined();
    remember(memo, 'worker <NUM> started', 'a', 7);
    expect(memo.get(['worker', '<NUM>', 'started'].join(' '))).toEqual({ value: 'a', stamp: 7, words: ['worker', '<NUM>', 'started'] });
  });

  it('updates what it remembers for a message', () => {
    const memo = createExactMatches<string>(4, 100);
    remember(memo, 'job done', 'a');
    remember(memo, 'job done', 'a');
    remember(memo, 'job done', 'b', 9);
    expect(memo.get('job done')).toEqual({ value: 'b', stamp: 9, words: ['job', 'done'] });
  });

  it('holds at most its capacity, forgetting the oldest first', () => {
    const memo = createExactMatches<string>(3, 100);
    const messages = ['m 1', 'm 2', 'm 3', 'm 4'];
    for (const m of messages) {
      remember(memo, m, m);
      remember(memo, m, m);
    }
    expect(messages.map((m) => memo.get(m)?.value)).toEqual([undefined, 'm 2', 'm 3', 'm 4']);
  });

  it('never remembers a message longer than its limit', () => {
    const memo = createExactMatches<string>(4, 10);
    const long = 'a much longer message';
    remember(memo, long, 'x');
    remember(memo, long, 'x');
    expect(memo.get(long)).toBeUndefined();
  });
});
