// Loaded into the `settle --jsonl` soak's child with `node --require` (the
// firmware itself runs unchanged): after each full garbage collection it
// writes to file descriptor 3 the heap that survived it (every space but the
// young generation's, bytes), one figure a line. That is what a leak grows;
// the resident size also follows the capacity V8 gives the heap, which it
// grows and keeps as it sees fit, so it rises and falls with no leak at all.
'use strict';
const { writeSync } = require('node:fs');
const { constants, PerformanceObserver } = require('node:perf_hooks');
const { getHeapSpaceStatistics } = require('node:v8');

function retainedBytes() {
  let bytes = 0;
  for (const space of getHeapSpaceStatistics()) if (!space.space_name.startsWith('new_')) bytes += space.space_used_size;
  return bytes;
}

const observer = new PerformanceObserver((list) => {
  if (!list.getEntries().some((entry) => entry.detail && entry.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR)) return;
  try {
    writeSync(3, `${retainedBytes()}\n`);
  } catch {
    observer.disconnect();
  }
});
observer.observe({ entryTypes: ['gc'] });
