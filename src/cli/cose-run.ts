// `settle-terminal cose sign|verify`: COSE_Sign1 for integrators and service
// engineers checking a line capture or another tool's output (RFC 9052 §4.2,
// EdDSA over Ed25519).
//   cose sign --seed HEX64 [--aad HEX] [--crypto auto|node|tweetnacl]
//     reads payload bytes on stdin, writes a tagged COSE_Sign1 (alg -8,
//     protected kid = first 8 bytes of the public key) on stdout;
//   cose verify --pub HEX64 [--aad HEX] [--crypto ...]
//     reads a COSE_Sign1 on stdin, writes its payload on stdout; exit 0 when
//     the signature verifies, 1 when it does not (or the algorithm or a
//     header is one this envelope refuses), 2 on malformed input.
import { createCborEncoder } from '../../protocol/cbor-encode';
import { signSign1, verifySign1, wireProtectedHeader, type CoseErrorCode, genericHeaders } from '../../protocol/cose';
import { ed25519PublicKeyBytes, ed25519SeedBytes, type CryptoProvider } from '../../protocol/crypto';
import { frameBytesMax } from '../../protocol/limits';
import { chooseCryptoProvider, cryptoChoices, CryptoUnavailableError, type CryptoChoice } from '../crypto-choice';
import { cryptoFlag, exitNegative, exitOk, exitUsage, parseCommandArgs, UsageError, writeOut, type CliIo, type Command, type Syntax } from './command';
import { parseHexFlag, parseOptionalHex, readAllBytes } from './input';

/** Refusals that mean the input is not a COSE_Sign1 at all (exit 2); the rest are verdicts (exit 1). */
const malformedCodes: ReadonlySet<CoseErrorCode> = new Set(['malformed', 'not_sign1', 'wrong_tag', 'not_tagged', 'header_invalid', 'payload_detached']);
/** Longest external_aad accepted on the command line, bytes. */
const aadBytesMax = 1_024;

const aadFlag = { value: 'HEX', help: 'external_aad bound into the signature (hex, default none)' } as const;

const signSyntax = {
  synopsis: 'cose sign --seed HEX64 [--aad HEX] [--crypto C] < payload > cose_sign1',
  flags: { seed: { value: 'HEX64', help: 'the Ed25519 seed' }, aad: aadFlag, crypto: cryptoFlag },
  positionalsMax: 0,
} as const satisfies Syntax;

const verifySyntax = {
  synopsis: 'cose verify --pub HEX64 [--aad HEX] [--crypto C] < cose_sign1 > payload',
  flags: { pub: { value: 'HEX64', help: 'the Ed25519 public key; exit 0 verified, 1 not, 2 malformed' }, aad: aadFlag, crypto: cryptoFlag },
  positionalsMax: 0,
} as const satisfies Syntax;

/** The provider a --crypto value names; an unknown name or an unavailable provider is a usage error. */
export function providerFor(value: string | undefined): CryptoProvider {
  if (value !== undefined && !(cryptoChoices as readonly string[]).includes(value)) throw new UsageError(`--crypto must be one of ${cryptoChoices.join(', ')}`);
  try {
    return chooseCryptoProvider((value ?? 'auto') as CryptoChoice);
  } catch (error) {
    if (error instanceof CryptoUnavailableError) throw new UsageError(error.message);
    throw error;
  }
}

function writeBytes(stream: NodeJS.WritableStream, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), (error) => (error ? reject(error) : resolve()));
  });
}

async function sign(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, signSyntax);
  const seed = parseHexFlag(values.seed, ed25519SeedBytes, 'seed');
  const aad = parseOptionalHex(values.aad, aadBytesMax, 'aad');
  const provider = providerFor(values.crypto);
  const payload = await readAllBytes(io.stdin, frameBytesMax);
  const signer = provider.signer(seed);
  const cose = signSign1(wireProtectedHeader(createCborEncoder(), signer.kid), payload, signer, aad);
  await writeBytes(io.stdout, cose);
  return exitOk;
}

async function verify(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, verifySyntax);
  const publicKey = parseHexFlag(values.pub, ed25519PublicKeyBytes, 'pub');
  const aad = parseOptionalHex(values.aad, aadBytesMax, 'aad');
  const verifier = providerFor(values.crypto).verifier(publicKey);
  const input = await readAllBytes(io.stdin, frameBytesMax + 1_024);
  // The key is given explicitly, so a kid (if any) does not select it.
  const result = verifySign1(input, { profile: genericHeaders, requireTag: false, externalAad: aad, keyFor: () => verifier });
  if (result.ok) {
    await writeBytes(io.stdout, result.sign1.payload);
    return exitOk;
  }
  const malformed = malformedCodes.has(result.error.code);
  await writeOut(io.stderr, `settle-terminal cose verify: ${malformed ? 'malformed' : 'not verified'}: ${result.error.code} (${result.error.detail})\n`);
  return malformed ? exitUsage : exitNegative;
}

export const coseCommand: Command = {
  name: 'cose',
  summary: 'sign or verify a COSE_Sign1 (Ed25519)',
  syntax: [signSyntax, verifySyntax],
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const [sub, ...rest] = args;
    if (sub === 'sign') return sign(rest, io);
    if (sub === 'verify') return verify(rest, io);
    throw new UsageError(sub === undefined ? 'expected sign or verify' : `unknown subcommand '${sub}' (expected sign or verify)`);
  },
};
