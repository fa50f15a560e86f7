// The soak's memory verdict (test/soak/settle-jsonl.soak.ts): a series of a
// process's memory figures, taken as it runs, is flat when the last
// quarter's peak stays within the bound, the first quarter's peak plus a
// margin. The line it prints names that bound (and what was sampled, when
// told), and the verdict is taken on the same figure, so what the soak says
// and what it decides cannot differ.
export interface MemoryVerdict {
  readonly earlyBytes: number;
  readonly lateBytes: number;
  readonly boundBytes: number;
  readonly flat: boolean;
  /** `flat memory: yes|no (...)`, the figures in MiB. */
  readonly line: string;
}

const mebibyte = 1_048_576;

export function memoryVerdict(samples: readonly number[], marginBytes: number, subject?: string): MemoryVerdict {
  if (samples.length === 0) throw new Error('memory verdict: no samples');
  const quarter = Math.max(1, Math.floor(samples.length / 4));
  const earlyBytes = Math.max(...samples.slice(0, quarter));
  const lateBytes = Math.max(...samples.slice(-quarter));
  const boundBytes = earlyBytes + marginBytes;
  const flat = lateBytes <= boundBytes;
  const mib = (bytes: number) => `${(bytes / mebibyte).toFixed(1)} MiB`;
  const line = `flat memory: ${flat ? 'yes' : 'no'} (${subject === undefined ? '' : `${subject}: `}last quarter peak ${mib(lateBytes)} ${flat ? '≤' : '>'} bound ${mib(boundBytes)} = first quarter peak ${mib(earlyBytes)} + ${mib(marginBytes)})`;
  return { earlyBytes, lateBytes, boundBytes, flat, line };
}
