// Proves the journal survives a power cut anywhere and damage at its tail,
// and never silently drops a commit:
//  - a scripted settlement life (intents, answers, a reversal and an advice
//    queued and taken, a rotation, more commits) runs on the memory disk,
//    which cuts the power before operation k, for every k, tearing the
//    append in flight at a seeded fraction; the disk then comes back with a
//    seeded choice of what unsynced bytes and renames survived. The journal
//    must open, and hold the state after the last step that returned or
//    after the step that was running (never less, never a mix), and take
//    new commits;
//  - a table of tail damage (cut at every byte of the last record, garbage,
//    a flipped bit) is cut off; damage further from the end than one append
//    (a bad record with committed records after it) refuses to open with
//    journal_corrupt instead of dropping them.
// Seeded with TEST_SEED (printed on failure).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TerminalJournal } from '../../src/journal/journal';
import { AppendLog, LogError } from '../../src/journal/log';
import type { JournalRecord } from '../../src/journal/records';
import { adviceBody, reversalBody, settleBody } from '../helpers/journal-bodies';
import { MemoryDisk, PowerCut } from '../helpers/memory-disk';
import { timeSample } from '../helpers/messages';
import { prng, replayHint, testSeed } from '../helpers/seed';

const file = '/j/journal';
const seed = testSeed();
const day = timeSample;

type Step = JournalRecord | 'rotate';

const script: Step[] = [
  { kind: 'seq_block', up_to: 64 },
  { kind: 'settle_intent', id: 'S1', seq: 1, time: day - 86_400, body: settleBody('M1') },
  { kind: 'done', id: 'S1', setl_id: 'H1', time: day - 86_400, code: null },
  { kind: 'printed', id: 'S1' },
  { kind: 'settle_intent', id: 'S2', seq: 2, time: day, body: settleBody('M2') },
  { kind: 'reversal_queued', id: 'S2', seq: 3, body: reversalBody(2) },
  { kind: 'advice_queued', id: 'A4', seq: 4, body: adviceBody('A4') },
  { kind: 'reconciled', date: '2026-03-13' },
  'rotate',
  { kind: 'done', id: 'S2', setl_id: null, time: null, code: null },
  { kind: 'settle_intent', id: 'S5', seq: 5, time: day, body: settleBody('M5', 12) },
  { kind: 'done', id: 'A4', setl_id: 'H4', time: null, code: null },
  { kind: 'seq_block', up_to: 128 },
  { kind: 'settle_intent', id: 'S70', seq: 70, time: day, body: settleBody('M70') },
];

function run(journal: TerminalJournal, step: Step): void {
  if (step === 'rotate') journal.rotate();
  else journal.commit(step);
}

function summary(journal: TerminalJournal): string {
  const entries = journal.entries().map((entry) => `${entry.id}:${entry.outcome}:${entry.setlId ?? ''}:${entry.printed ? 'p' : ''}`);
  const queue = journal.queue().map((item) => `${item.kind}:${item.id}:${item.seq}`);
  return `${entries.join(',')} | ${queue.join(',')}`;
}

/** The state after each prefix of the script, on a disk that never fails. */
const expected: string[] = (() => {
  const journal = TerminalJournal.open({ storage: new MemoryDisk(), file });
  const states = [summary(journal)];
  for (const step of script) {
    run(journal, step);
    states.push(summary(journal));
  }
  return states;
})();

const totalOperations = (() => {
  const disk = new MemoryDisk();
  const journal = TerminalJournal.open({ storage: disk, file });
  for (const step of script) run(journal, step);
  return disk.operations;
})();

test(`a power cut before each of the ${totalOperations} operations leaves the state of the last step or the one running ${replayHint(seed)}`, () => {
  const random = prng(seed);
  let checked = 0;
  const seen = { torn: 0, stepSurvived: 0, stepLost: 0 };
  for (let cut = 0; cut < totalOperations; cut += 1) {
    for (const tornFraction of [0, 0.5, random()]) {
      const disk = new MemoryDisk();
      disk.cutAfter = cut;
      disk.tornFraction = tornFraction;
      let done = 0;
      try {
        const journal = TerminalJournal.open({ storage: disk, file });
        for (const step of script) {
          run(journal, step);
          done += 1;
        }
      } catch (error) {
        if (!(error instanceof PowerCut)) throw error;
      }
      for (let boot = 0; boot < 2; boot += 1) {
        const after = disk.reboot(random);
        const where = `cut before operation ${cut + 1}, torn ${tornFraction.toFixed(2)}, ${done} steps done, boot ${boot}: ${after.listing()} ${replayHint(seed)}`;
        let journal: TerminalJournal;
        try {
          journal = TerminalJournal.open({ storage: after, file });
        } catch (error) {
          throw new Error(`${where}: did not open: ${(error as Error).message}`);
        }
        const state = summary(journal);
        assert.ok(state === expected[done] || state === expected[done + 1], `${where}\n  got      ${state}\n  expected ${expected[done]}\n  or       ${expected[done + 1]}`);
        if (journal.tornBytes > 0) seen.torn += 1;
        if (state !== expected[done]) seen.stepSurvived += 1;
        else if (state !== expected[done + 1] && done < script.length) seen.stepLost += 1;
        // The journal goes on: a new commit lands and survives a clean reopen.
        journal.commit({ kind: 'seq_block', up_to: 1_000 });
        journal.commit({ kind: 'settle_intent', id: 'S999', seq: 999, time: day, body: settleBody('M999') });
        assert.ok(TerminalJournal.open({ storage: after, file }).entry('S999') !== undefined, where);
        checked += 1;
      }
    }
  }
  assert.ok(checked >= totalOperations * 6, `${checked} reboots checked`);
  // The cuts met every case: torn tails cut off, a step that was running kept, and one lost.
  assert.ok(seen.torn > 0 && seen.stepSurvived > 0 && seen.stepLost > 0, JSON.stringify(seen));
});

/** A log of `count` records of `size` bytes on a fresh memory disk. */
function logOf(count: number, size: number): { disk: MemoryDisk; bytes: Uint8Array; ends: number[] } {
  const disk = new MemoryDisk();
  const { log } = AppendLog.open(disk, file, 256 * 1_048_576);
  const ends: number[] = [];
  for (let index = 0; index < count; index += 1) {
    log.append([new Uint8Array(size).fill(index % 251 + 1)]);
    ends.push(log.size);
  }
  return { disk, bytes: disk.read(file) as Uint8Array, ends };
}

function reopenWith(bytes: Uint8Array) {
  const disk = new MemoryDisk();
  disk.write(file, bytes);
  disk.sync(file);
  return { disk, opened: AppendLog.open(disk, file, 256 * 1_048_576) };
}

test('a log cut at any byte of its last record opens with the records before it, and the cut is made durable', () => {
  const { bytes, ends } = logOf(4, 40);
  const lastStart = ends[2] as number;
  for (let length = lastStart; length < bytes.length; length += 1) {
    const { disk, opened } = reopenWith(bytes.slice(0, length));
    assert.is(opened.payloads.length, 3, `cut at ${length}`);
    assert.is(opened.tornBytes, length - lastStart);
    assert.is(disk.read(file)?.length, lastStart);
  }
  assert.is(reopenWith(bytes).opened.payloads.length, 4);
});

const tailDamage: [string, (bytes: Uint8Array) => Uint8Array][] = [
  ['zeros after the last record (a file extended but never written)', (bytes) => concat(bytes, new Uint8Array(100))],
  ['random garbage after the last record', (bytes) => concat(bytes, Uint8Array.from({ length: 77 }, (_, i) => (i * 37 + 11) & 0xff))],
  ['a flipped bit in the last record', (bytes) => flip(bytes, bytes.length - 5)],
  ['a flipped bit in the last record\'s length', (bytes) => flip(bytes, bytes.length - 48 + 2)],
];

for (const [name, damage] of tailDamage) {
  test(`tail damage is cut off: ${name}`, () => {
    const { bytes, ends } = logOf(3, 40);
    const { opened } = reopenWith(damage(bytes));
    assert.ok(opened.payloads.length >= 2 && opened.payloads.length <= 3);
    assert.is(opened.log.size, ends[opened.payloads.length - 1]);
  });
}

test('a bad record with more than one append of committed records after it refuses to open: journal_corrupt', () => {
  const { bytes, ends } = logOf(40, 30_000);
  const damaged = flip(bytes, (ends[2] as number) + 20);
  assert.throws(() => reopenWith(damaged), (error: unknown) => error instanceof LogError && error.code === 'journal_corrupt');
});

test('a file that is not a journal refuses to open; an empty or half-created one starts afresh', () => {
  assert.throws(() => reopenWith(new TextEncoder().encode('PK\u0003\u0004 not a journal at all')), (error: unknown) => error instanceof LogError && error.code === 'journal_corrupt');
  for (const length of [0, 5, 11]) assert.is(reopenWith(logOf(1, 10).bytes.slice(0, length)).opened.payloads.length, 0);
});

test('a rotation cut short leaves the old journal whole, and its staging file is cleared', () => {
  const { disk } = logOf(3, 40);
  disk.write(`${file}.tmp`, new Uint8Array([1, 2, 3]));
  disk.sync(`${file}.tmp`);
  const opened = AppendLog.open(disk, file, 256 * 1_048_576);
  assert.is(opened.payloads.length, 3);
  assert.is(disk.read(`${file}.tmp`), null);
});

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function flip(bytes: Uint8Array, at: number): Uint8Array {
  const out = bytes.slice();
  out[at] = (out[at] as number) ^ 0x10;
  return out;
}

test.run();
