// Proves the terminal journal's state machine (src/journal/journal.ts): the
// records of a settlement's life, replayed after a reopen, give the same
// state (in flight, queued, confirmed, refused, reversed, cancelled, printed);
// a record that does not follow from the state is refused before anything is
// written; sequence numbers are reserved in durable blocks and never handed
// out twice across a reopen; the queue is bounded; rotation keeps what is
// unfinished or unreconciled and drops the rest, atomically; a full journal
// refuses with journal_full; reconciliation counts what the hub would.
// Journals live on the memory disk of test/helpers/memory-disk.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SequenceCounter } from '../../protocol/sequence';
import { TerminalJournal } from '../../src/journal/journal';
import { LogError } from '../../src/journal/log';
import { chinaDate, periodEntries, periodTotals } from '../../src/journal/recon';
import type { JournalRecord } from '../../src/journal/records';
import { journalSeqBlock } from '../../src/journal/limits';
import { adviceBody, cancelBody, reversalBody, sampleAmounts, settleBody } from '../helpers/journal-bodies';
import { MemoryDisk } from '../helpers/memory-disk';
import { timeSample } from '../helpers/messages';

const file = '/journal/journal';

function open(disk: MemoryDisk, bytesMax?: number): TerminalJournal {
  return TerminalJournal.open({ storage: disk, file, bytesMax });
}

/** A summary of the state to compare across reopens. */
function summary(journal: TerminalJournal) {
  return {
    entries: journal.entries().map((entry) => [entry.id, entry.kind, entry.seq, entry.outcome, entry.setlId, entry.setlTime, entry.code, entry.printed, entry.cancelledBy].join(' ')),
    queue: journal.queue().map((item) => `${item.kind} ${item.id} ${item.seq}`),
    inFlight: journal.inFlight().map((entry) => entry.id),
  };
}

const day = timeSample; // 2026-03-14 16:00 China time
const records: JournalRecord[] = [
  { kind: 'seq_block', up_to: 64 },
  { kind: 'settle_intent', id: 'S1', seq: 1, time: day, body: settleBody('M1') },
  { kind: 'done', id: 'S1', setl_id: 'H1', time: day + 1, code: null },
  { kind: 'printed', id: 'S1' },
  { kind: 'settle_intent', id: 'S2', seq: 2, time: day, body: settleBody('M2') },
  { kind: 'done', id: 'S2', setl_id: null, time: null, code: 'result_mismatch' },
  { kind: 'settle_intent', id: 'S3', seq: 3, time: day, body: settleBody('M3') },
  { kind: 'reversal_queued', id: 'S3', seq: 4, body: reversalBody(3) },
  { kind: 'settle_intent', id: 'S5', seq: 5, time: day, body: settleBody('M5') },
  { kind: 'advice_queued', id: 'A6', seq: 6, body: adviceBody('A6') },
  { kind: 'cancel_intent', id: 'C7', seq: 7, time: day + 100, body: cancelBody('H1'), amounts: sampleAmounts },
  { kind: 'done', id: 'C7', setl_id: 'HC1', time: day + 101, code: null },
  { kind: 'forward_seq', id: 'S3', seq: 8 },
];

test('a life of records gives its state, and the same state after a reopen', () => {
  const disk = new MemoryDisk();
  const journal = open(disk);
  for (const record of records) journal.commit(record);
  const expected = {
    entries: [
      'S1 settle 1 confirmed H1 1773475201  true C7',
      'S2 settle 2 refused   result_mismatch false ',
      'S3 settle 3 reversing    false ',
      'S5 settle 5 in_flight    false ',
      `A6 advice 6 queued  ${day}  false `,
      'C7 cancel 7 confirmed HC1 1773475301  false ',
    ],
    queue: ['reversal S3 8', 'advice A6 6'],
    inFlight: ['S5'],
  };
  assert.equal(summary(journal), expected);
  assert.equal(summary(open(disk)), expected);
  assert.equal(open(disk).tornBytes, 0);
});

test('the queue drains in order: a reversal taken, an advice confirmed or refused for good', () => {
  const disk = new MemoryDisk();
  const journal = open(disk);
  for (const record of records) journal.commit(record);
  journal.commit({ kind: 'done', id: 'S3', setl_id: 'H3', time: null, code: null });
  journal.commit({ kind: 'done', id: 'A6', setl_id: 'H6', time: null, code: null });
  const reopened = open(disk);
  assert.equal(reopened.queue(), []);
  assert.is(reopened.entry('S3')?.outcome, 'reversed');
  assert.is(reopened.entry('A6')?.outcome, 'confirmed');
  assert.is(reopened.entry('A6')?.setlId, 'H6');
  assert.is(reopened.entry('A6')?.setlTime, day, 'an advice counts at its offline settlement time');
});

const refusals: [string, JournalRecord[], JournalRecord][] = [
  ['a seq never reserved', [], { kind: 'settle_intent', id: 'S1', seq: 1, time: day, body: settleBody('M1') }],
  ['a reservation going back', [{ kind: 'seq_block', up_to: 10 }], { kind: 'seq_block', up_to: 9 }],
  ['an id used twice', [{ kind: 'seq_block', up_to: 9 }, { kind: 'settle_intent', id: 'S1', seq: 1, time: day, body: settleBody('M1') }], { kind: 'cancel_intent', id: 'S1', seq: 2, time: day, body: cancelBody('H1'), amounts: sampleAmounts }],
  ['an answer to nothing', [{ kind: 'seq_block', up_to: 9 }], { kind: 'done', id: 'S1', setl_id: 'H1', time: day, code: null }],
  ['a second answer', [{ kind: 'seq_block', up_to: 9 }, { kind: 'settle_intent', id: 'S1', seq: 1, time: day, body: settleBody('M1') }, { kind: 'done', id: 'S1', setl_id: 'H1', time: day, code: null }], { kind: 'done', id: 'S1', setl_id: 'H1', time: day, code: null }],
  ['reversing what was answered', [{ kind: 'seq_block', up_to: 9 }, { kind: 'settle_intent', id: 'S1', seq: 1, time: day, body: settleBody('M1') }, { kind: 'done', id: 'S1', setl_id: 'H1', time: day, code: null }], { kind: 'reversal_queued', id: 'S1', seq: 2, body: reversalBody(1) }],
  ['a new seq for nothing queued', [{ kind: 'seq_block', up_to: 9 }], { kind: 'forward_seq', id: 'S1', seq: 2 }],
  ['printing nothing', [], { kind: 'printed', id: 'S9' }],
];

for (const [name, before, record] of refusals) {
  test(`refused before anything is written: ${name}`, () => {
    const disk = new MemoryDisk();
    const journal = open(disk);
    for (const earlier of before) journal.commit(earlier);
    const size = journal.size;
    assert.throws(() => journal.commit(record), /journal/);
    assert.is(journal.size, size);
    assert.equal(summary(open(disk)), summary(journal));
  });
}

test('a record that breaks its schema is a programmer error, nothing written', () => {
  const journal = open(new MemoryDisk());
  journal.commit({ kind: 'seq_block', up_to: 9 });
  assert.throws(() => journal.commit({ kind: 'settle_intent', id: '', seq: 1, time: day, body: settleBody('M1') }), RangeError);
  assert.throws(() => journal.commit({ kind: 'done', id: 'S1', setl_id: 'H1', time: -1, code: null }), RangeError);
  assert.is(journal.inFlight().length, 0);
});

test('seqs come in durable blocks: a reopen never hands one out twice, and costs one record per block', async () => {
  const disk = new MemoryDisk();
  let journal = open(disk);
  let counter = await SequenceCounter.open(journal.seqStore());
  const first: number[] = [];
  for (let i = 0; i < journalSeqBlock + 3; i += 1) first.push(await counter.next());
  assert.equal(first, [...Array(journalSeqBlock + 3).keys()].map((i) => i + 1));
  const sizeAfter = journal.size;
  journal = open(disk);
  counter = await SequenceCounter.open(journal.seqStore());
  const next = await counter.next();
  assert.ok(next > (first.at(-1) as number), `${next} is above every seq used before`);
  assert.ok(next <= 2 * journalSeqBlock + 1, 'at most a block is skipped');
  assert.ok(sizeAfter < 200, `two blocks cost ${sizeAfter} bytes`);
});

test('rotation keeps what is unfinished or of a later day, drops the reconciled, and survives a reopen', () => {
  const disk = new MemoryDisk();
  const journal = open(disk);
  for (const record of records) journal.commit(record);
  const nextDay = day + 86_400;
  journal.commit({ kind: 'settle_intent', id: 'S9', seq: 9, time: nextDay, body: settleBody('M9') });
  journal.commit({ kind: 'done', id: 'S9', setl_id: 'H9', time: nextDay, code: null });
  journal.commit({ kind: 'reconciled', date: chinaDate(day) });
  const before = journal.size;
  journal.rotate();
  assert.ok(journal.size < before, `${journal.size} < ${before}`);
  const kept = ['S3', 'S5', 'A6', 'S9'];
  assert.equal(journal.entries().map((entry) => entry.id), kept, 'the reconciled day goes, the unfinished and the next day stay');
  const reopened = open(disk);
  assert.equal(summary(reopened), summary(journal));
  const counter = reopened.seqStore();
  return counter.load().then((last) => assert.ok((last as number) >= 64, 'the seq reservation survives rotation'));
});

test('a journal at its bound refuses with journal_full and keeps what it had', () => {
  const disk = new MemoryDisk();
  const bytesMax = 12 + 8 + 1_048_576 + 4_096;
  const journal = open(disk, bytesMax);
  journal.commit({ kind: 'seq_block', up_to: 100_000 });
  let seq = 0;
  let refused: unknown = null;
  try {
    for (seq = 1; seq < 10_000; seq += 1) journal.commit({ kind: 'settle_intent', id: `S${seq}`, seq, time: day, body: settleBody(`M${seq}`, 20) });
  } catch (error) {
    refused = error;
  }
  assert.instance(refused, LogError);
  assert.is((refused as LogError).code, 'journal_full');
  assert.is(open(disk, bytesMax).inFlight().length, seq - 1);
});

test('reconciliation counts confirmed settlements in force on their day, and cancellations on theirs', () => {
  const journal = open(new MemoryDisk());
  for (const record of records) journal.commit(record);
  journal.commit({ kind: 'done', id: 'A6', setl_id: 'H6', time: null, code: null });
  const items = [...journal.reconItems()];
  const date = chinaDate(day);
  const totals = periodTotals(items, date, date);
  // S1 was cancelled by C7: it no longer counts; A6 counts; C7 counts as a cancellation.
  const advice = adviceBody('A6').result.setlinfo;
  assert.equal({ setl_cnt: totals.setl_cnt, cancel_cnt: totals.cancel_cnt, medfee_sumamt: totals.medfee_sumamt }, { setl_cnt: 1, cancel_cnt: 1, medfee_sumamt: advice.medfee_sumamt });
  assert.equal(periodEntries(items, date, date).map((entry) => `${entry.kind} ${entry.setl_id}`), ['advice H6', 'cancel HC1']);
  assert.equal(periodTotals(items, '2026-03-15', '2026-03-15').setl_cnt, 0);
});

test.run();
