// Proves the framing survives a bad line (seeded; the seed is printed as
// TEST_SEED=N in any failure and replays it): a stream of frames with random
// garbage between them, single bit flips anywhere in a frame (its delimiters
// included) and frames cut short is decoded fed whole, byte by byte and in
// random chunks; every intact frame is recovered in order, no frame that was
// not sent intact is ever accepted, every chunking yields exactly the same
// events, and the decoder's buffer never passes its bound.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeFrame, encodeFrameHeader, FrameDecoder, type FrameEvent } from '../../protocol/framing';
import { frameBytesMax } from '../../protocol/limits';
import { Random, replayHint, testSeed } from '../helpers/seed';

const seed = testSeed();
const hint = replayHint(seed);
const framesPerRun = 1_500;

interface Sent {
  readonly cose: Uint8Array;
  readonly intact: boolean;
}

function buildStream(random: Random): { stream: Uint8Array; sent: Sent[] } {
  const parts: Uint8Array[] = [];
  const sent: Sent[] = [];
  for (let i = 0; i < framesPerRun; i += 1) {
    if (random.chance(0.3)) parts.push(random.bytes(random.int(random.chance(0.1) ? 3_000 : 40)));
    const cose = random.bytes(8 + random.int(random.chance(0.05) ? 20_000 : 1_500));
    const frame = Uint8Array.from(encodeFrame(encodeFrameHeader(random.chance(0.5) ? 'up' : 'down', random.int(5)), cose));
    const fault = random.float();
    if (fault < 0.1) {
      const at = random.int(frame.length);
      frame[at] = (frame[at] as number) ^ (1 << random.int(8));
      parts.push(frame);
      sent.push({ cose, intact: false });
    } else if (fault < 0.2) {
      parts.push(frame.subarray(0, 1 + random.int(frame.length - 2)));
      sent.push({ cose, intact: false });
    } else {
      parts.push(frame);
      sent.push({ cose, intact: true });
    }
  }
  const stream = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    stream.set(part, at);
    at += part.length;
  }
  return { stream, sent };
}

function decodeInChunks(stream: Uint8Array, nextChunk: (left: number) => number): FrameEvent[] {
  const decoder = new FrameDecoder();
  const events: FrameEvent[] = [];
  let most = 0;
  for (let at = 0; at < stream.length; ) {
    const size = Math.min(nextChunk(stream.length - at), stream.length - at);
    events.push(...decoder.push(stream.subarray(at, at + size)));
    most = Math.max(most, decoder.bufferedBytes);
    at += size;
  }
  events.push(...decoder.end());
  assert.ok(most <= frameBytesMax + Math.ceil(frameBytesMax / 254) + 1, `buffer reached ${most} ${hint}`);
  return events;
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

test('garbage, bit flips and truncation: every intact frame recovered, no false frame, same events for any chunking', () => {
  const random = new Random(seed);
  const { stream, sent } = buildStream(random);
  const whole = decodeInChunks(stream, (left) => left);
  const bytewise = decodeInChunks(stream, () => 1);
  const chunked = decodeInChunks(stream, () => 1 + random.int(random.chance(0.5) ? 16 : 4_096));
  assert.equal(bytewise, whole, `byte by byte differs from whole ${hint}`);
  assert.equal(chunked, whole, `random chunks differ from whole ${hint}`);

  const frames = whole.filter((event) => event.kind === 'frame');
  const intact = sent.filter((entry) => entry.intact);
  let next = 0;
  for (const frame of frames) {
    // Each accepted frame must be the next intact frame sent: nothing false, nothing reordered.
    while (next < sent.length && !sent[next]!.intact && !sameBytes(sent[next]!.cose, frame.cose)) next += 1;
    assert.ok(next < sent.length, `a frame that was never sent was accepted ${hint}`);
    assert.ok(sameBytes(sent[next]!.cose, frame.cose), `frame ${frames.indexOf(frame)} is not the next one sent ${hint}`);
    assert.ok(sent[next]!.intact, `a damaged frame was accepted ${hint}`);
    next += 1;
  }
  assert.is(frames.length, intact.length, `intact frames sent ${intact.length}, recovered ${frames.length} ${hint}`);
  const garbage = whole.filter((event) => event.kind === 'garbage');
  assert.ok(garbage.length >= sent.length - intact.length, `every damaged frame shows as garbage ${hint}`);
});

test('a run longer than a frame is dropped as one oversize garbage report, and the next frame still comes', () => {
  const decoder = new FrameDecoder();
  const flood = new Uint8Array(frameBytesMax * 3).fill(0x41);
  const frame = encodeFrame(encodeFrameHeader('up', 1), Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9));
  const events = [...decoder.push(flood), ...decoder.push(frame), ...decoder.end()];
  assert.is(decoder.bufferedBytes, 0);
  assert.equal(
    events.map((event) => (event.kind === 'frame' ? 'frame' : `${event.reason}:${event.bytes}`)),
    [`oversize:${flood.length}`, 'frame'],
  );
});

test('a torn frame at the end of the stream is reported', () => {
  const decoder = new FrameDecoder();
  const frame = encodeFrame(encodeFrameHeader('down', 9), new Uint8Array(100).fill(5));
  const events = [...decoder.push(frame.subarray(0, 50)), ...decoder.end()];
  assert.equal(events, [{ kind: 'garbage', offset: 1, bytes: 49, reason: 'torn' }]);
});

test.run();
