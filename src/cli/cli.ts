// The CLI's dispatcher: `settle-terminal COMMAND [ARGS]` (the firmware,
// src/main.ts) and `settle-sim COMMAND [ARGS]` (the simulation bundle,
// device/sim/main.ts) share it. Usage for --help, `--version` as the version
// command, a one-line error and exit 2 for anything it does not know.
import { exitOk, exitUsage, UsageError, writeOut, type CliIo, type Command, type Flag } from './command';

/** What a bundle's CLI calls itself and says it is. */
export interface Program {
  readonly name: string;
  readonly about: string;
}

export const firmwareProgram: Program = {
  name: 'settle-terminal',
  about: 'Settlement terminal runtime for cross-provincial direct medical settlement.',
};

export function usageText(commands: readonly Command[], program: Program = firmwareProgram): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  const lines = commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`);
  return [
    `usage: ${program.name} COMMAND [ARGS]`,
    '',
    program.about,
    '',
    'commands:',
    ...lines,
    '',
    `Run '${program.name} COMMAND --help' for a command's arguments.`,
    '',
  ].join('\n');
}

/** A command's `--help`: each synopsis with its flags, one line each (`--name VALUE  what it does`), then what more it says. */
export function commandHelp(command: Command, programName: string): string {
  const label = ([name, flag]: [string, Flag]) => `--${name}${flag.value === undefined ? '' : ` ${flag.value}`}${flag.many ? '...' : ''}`;
  const width = Math.max(0, ...command.syntax.flatMap((syntax) => Object.entries(syntax.flags).map((entry) => label(entry).length)));
  const blocks = command.syntax.map((syntax) =>
    [`usage: ${programName} ${syntax.synopsis}`, ...Object.entries(syntax.flags).map((entry) => `  ${label(entry).padEnd(width)}  ${entry[1].help}`)].join('\n'),
  );
  return `${[...blocks, ...(command.more === undefined ? [] : [command.more()])].join('\n\n')}\n`;
}

/** Runs one CLI invocation and resolves to its exit code; never throws for bad usage. */
export async function runCli(argv: readonly string[], commands: readonly Command[], io: CliIo, program: Program = firmwareProgram): Promise<number> {
  const [first, ...args] = argv;
  if (first === undefined) {
    await writeOut(io.stderr, usageText(commands, program));
    return exitUsage;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    await writeOut(io.stdout, usageText(commands, program));
    return exitOk;
  }
  const programName = program.name;
  const name = first === '--version' ? 'version' : first;
  const command = commands.find((candidate) => candidate.name === name);
  if (command === undefined) {
    await writeOut(io.stderr, `${programName}: unknown command '${oneLine(name)}' (see '${programName} --help')\n`);
    return exitUsage;
  }
  if (args.includes('--help') || args.includes('-h')) {
    await writeOut(io.stdout, commandHelp(command, programName));
    return exitOk;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      await writeOut(io.stderr, `${programName} ${command.name}: ${oneLine(error.message)}\n`);
      return exitUsage;
    }
    throw error;
  }
}

/** Keeps an error on one line whatever the user typed. */
function oneLine(text: string): string {
  return text.replace(/[\r\n\t]+/g, ' ').slice(0, 200);
}
