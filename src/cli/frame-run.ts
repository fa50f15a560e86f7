// `settle-terminal frame decode [--pub HEX64]... [FILE]`: reads a line
// capture (FILE, or stdin) and prints one JSON line per frame: offset,
// direction, session, kid, type name (and the national interface it
// mirrors), terminal, seq, time, the body in CBOR diagnostic notation, the
// schema verdict and the signature verdict ("verified", a refusal code, or
// "unchecked" when no --pub is given; --pub may be repeated, keys are chosen
// by kid). Bytes between frames are reported as garbage with the reason.
// Exit 1 when a frame is malformed (its COSE_Sign1, its payload or its
// schema), when the input held bytes but not one frame, or when --pub was
// given and some frame did not verify; else 0.
import { createReadStream } from 'node:fs';
import type { CborValue } from '../../protocol/cbor-decode';
import { parseSign1, verifySign1, wireHeaders } from '../../protocol/cose';
import { bytesEqual, bytesToHex, ed25519PublicKeyBytes, type Verifier } from '../../protocol/crypto';
import { diagnostic } from '../../protocol/diagnostic';
import { decodePayload } from '../../protocol/envelope';
import { FrameDecoder, type FrameEvent } from '../../protocol/framing';
import { messageTypeById } from '../../protocol/messages';
import { cryptoFlag, exitNegative, exitOk, parseCommandArgs, UsageError, writeOut, type CliIo, type Command, type Syntax } from './command';
import { providerFor } from './cose-run';
import { parseHexFlag } from './input';
import { decodeStrict } from '../../protocol/cbor-decode';

/** Longest body diagnostic printed per frame, characters. */
const bodyCharsMax = 16_384;
/** Most --pub keys. */
const keysMax = 16;

type Frame = Extract<FrameEvent, { kind: 'frame' }>;

function describeFrame(frame: Frame, verifiers: readonly Verifier[]): { line: Record<string, unknown>; verified: boolean } {
  const line: Record<string, unknown> = { offset: frame.offset, direction: frame.header.direction, session: frame.header.session };
  const parsed = parseSign1(frame.cose, { profile: wireHeaders, requireTag: true });
  if (!parsed.ok) {
    line.error = `cose ${parsed.error.code}: ${parsed.error.detail}`;
    return { line, verified: false };
  }
  line.kid = parsed.sign1.kid === null ? null : bytesToHex(parsed.sign1.kid);
  let signature = 'unchecked';
  if (verifiers.length > 0) {
    const verified = verifySign1(frame.cose, {
      profile: wireHeaders,
      requireTag: true,
      externalAad: frame.headerBytes,
      keyFor: (kid) => verifiers.find((verifier) => kid !== null && bytesEqual(verifier.kid, kid)) ?? null,
    });
    signature = verified.ok ? 'verified' : verified.error.code;
  }
  Object.assign(line, describePayload(parsed.sign1.payload));
  line.signature = signature;
  return { line, verified: signature === 'verified' };
}

function describePayload(payload: Uint8Array): Record<string, unknown> {
  const decoded = decodeStrict(payload);
  if (!decoded.ok) return { error: `payload ${decoded.error.code} at byte ${decoded.error.offset}` };
  const wire = decoded.value;
  if (!Array.isArray(wire) || wire.length !== 5) return { error: 'payload is not [type, terminal, seq, time, body]', payload: diagnostic(wire, bodyCharsMax) };
  const type = typeof wire[0] === 'number' ? messageTypeById(wire[0]) : undefined;
  const time = wire[3];
  const out: Record<string, unknown> = {
    type: type?.name ?? `unknown(${diagnostic(wire[0] as CborValue)})`,
    national: type?.national ?? '',
    terminal: wire[1],
    seq: wire[2],
    time,
  };
  if (typeof time === 'number' && time >= 0 && time <= 0xffff_ffff) out.time_utc = new Date(time * 1000).toISOString();
  out.body = diagnostic(wire[4] as CborValue, bodyCharsMax);
  const checked = decodePayload(payload);
  out.schema = checked.ok ? 'ok' : `${checked.error.code}${checked.error.path ? ` at ${checked.error.path}` : ''}: ${checked.error.detail}`;
  return out;
}

const decodeSyntax = {
  synopsis: 'frame decode [--pub HEX64]... [--crypto C] [FILE|-]',
  flags: {
    pub: { value: 'HEX64', many: true, help: 'a terminal or hub key to verify frames (chosen by kid); exit 1 if one does not verify' },
    crypto: cryptoFlag,
  },
  positionalsMax: 1,
} as const satisfies Syntax;

async function decode(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, decodeSyntax);
  const pubs = values.pub ?? [];
  if (pubs.length > keysMax) throw new UsageError(`at most ${keysMax} --pub keys`);
  const provider = pubs.length > 0 ? providerFor(values.crypto) : null;
  const verifiers = pubs.map((hex) => (provider as NonNullable<typeof provider>).verifier(parseHexFlag(hex, ed25519PublicKeyBytes, 'pub')));
  const file = positionals[0];
  const input: NodeJS.ReadableStream = file === undefined || file === '-' ? io.stdin : createReadStream(file);
  const decoder = new FrameDecoder();
  let unverified = 0;
  let frames = 0;
  let malformed = 0;
  let garbage = 0;
  const report = async (events: readonly FrameEvent[]) => {
    for (const event of events) {
      if (event.kind === 'garbage') {
        garbage += 1;
        await writeOut(io.stdout, `${JSON.stringify({ offset: event.offset, garbage: event.bytes, reason: event.reason })}\n`);
        continue;
      }
      const { line, verified } = describeFrame(event, verifiers);
      frames += 1;
      if (line.error !== undefined || line.schema !== 'ok') malformed += 1;
      if (!verified) unverified += 1;
      await writeOut(io.stdout, `${JSON.stringify(line)}\n`);
    }
  };
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) await report(decoder.push(chunk));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') throw new UsageError(`cannot read ${file}: ${code}`);
    throw error;
  }
  await report(decoder.end());
  const failed = malformed > 0 || (frames === 0 && garbage > 0) || (verifiers.length > 0 && unverified > 0);
  return failed ? exitNegative : exitOk;
}

export const frameCommand: Command = {
  name: 'frame',
  summary: 'decode a line capture, one JSON line per frame',
  syntax: [decodeSyntax],
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const [sub, ...rest] = args;
    if (sub === 'decode') return decode(rest, io);
    throw new UsageError(sub === undefined ? 'expected decode' : `unknown subcommand '${sub}' (expected decode)`);
  },
};
