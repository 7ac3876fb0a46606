import { describe, expect, it } from 'vitest';
import { summariseProfiles, type CpuProfile } from '../../bench/cpu-profile.js';

const ROOT = new URL('../../', import.meta.url).href;

/** Samples every 1,000 µs from t=1,000,000 µs, naming the node of each. */
function profile(samples: number[]): CpuProfile {
  return {
    nodes: [
      { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 } },
      { id: 2, callFrame: { functionName: 'mask', url: `${ROOT}dist/src/pipeline/mask.js`, lineNumber: 9 } },
      { id: 3, callFrame: { functionName: 'read', url: `file:///x/node_modules/protobufjs/src/reader.js`, lineNumber: 0 } },
      { id: 4, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
      { id: 5, callFrame: { functionName: '(garbage collector)', url: '', lineNumber: -1 } },
      { id: 6, callFrame: { functionName: 'split', url: '', lineNumber: -1 } },
    ],
    startTime: 1_000_000,
    endTime: 1_000_000 + samples.length * 1_000,
    samples,
    timeDeltas: samples.map(() => 1_000),
  };
}

describe('summariseProfiles', () => {
  it('sums self time by function, file and area, as shares of the busy time', () => {
    // 4 ms mask, 2 ms protobufjs, 1 ms GC, 1 ms builtin, 2 ms idle (the last sample counts nothing: no next one).
    const summary = summariseProfiles([profile([2, 2, 2, 2, 3, 3, 5, 6, 4, 4, 2])]);
    expect(summary.totalMs).toBe(10);
    expect(summary.idleMs).toBe(2);
    expect(summary.byFunction.map((s) => [s.name, s.share])).toEqual([
      ['mask src/pipeline/mask.js:10', 0.5],
      ['read protobufjs/src/reader.js:1', 0.25],
      ['(garbage collector)', 0.125],
      ['split (native)', 0.125],
    ]);
    expect(summary.byArea.map((s) => s.name)).toEqual(['src/pipeline', 'protobufjs', '(garbage collector)', '(native)']);
    expect(summary.byFile[0]).toMatchObject({ name: 'src/pipeline/mask.js', ms: 4 });
  });

  it('counts only the samples inside the window, over every thread profile given', () => {
    const main = profile([3, 3, 2, 2, 2, 2, 3]);
    const thread = profile([2, 2, 2, 2]);
    // Samples fall at 1,001,000 µs, 1,002,000 µs, ...: the window holds the 3rd to the 5th of each.
    const summary = summariseProfiles([main, thread], { fromUs: 1_003_000, toUs: 1_005_000 });
    expect(summary.byFunction).toHaveLength(1);
    expect(summary.byFunction[0]).toMatchObject({ name: 'mask src/pipeline/mask.js:10', share: 1 });
    // main: 3rd and 4th samples 1 ms each, the 5th is cut at the window's end (0 ms);
    // thread: its 3rd sample 1 ms, its 4th is its last (0 ms).
    expect(summary.totalMs).toBe(3);
  });
});
