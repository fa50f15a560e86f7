// The CLI's dispatcher: `settle-terminal COMMAND [ARGS]`. Usage for --help,
// a one-line error and exit 2 for anything it does not know.
import { exitOk, exitUsage, UsageError, writeOut, type CliIo, type Command } from './command';

const programName = 'settle-terminal';

export function usageText(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  const lines = commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`);
  return [
    `usage: ${programName} COMMAND [ARGS]`,
    '',
    'Settlement terminal runtime for cross-provincial direct medical settlement.',
    '',
    'commands:',
    ...lines,
    '',
    `Run '${programName} COMMAND --help' for a command's arguments.`,
    '',
  ].join('\n');
}

/** Runs one CLI invocation and resolves to its exit code; never throws for bad usage. */
export async function runCli(argv: readonly string[], commands: readonly Command[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined) {
    await writeOut(io.stderr, usageText(commands));
    return exitUsage;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    await writeOut(io.stdout, usageText(commands));
    return exitOk;
  }
  const command = commands.find((candidate) => candidate.name === name);
  if (command === undefined) {
    await writeOut(io.stderr, `${programName}: unknown command '${oneLine(name)}' (see '${programName} --help')\n`);
    return exitUsage;
  }
  if (args.includes('--help') || args.includes('-h')) {
    await writeOut(io.stdout, `usage: ${command.usage}\n`);
    return exitOk;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    // By name: a command whose work runs in the tools bundle throws that bundle's own UsageError class.
    if (error instanceof UsageError || (error instanceof Error && error.name === 'UsageError')) {
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
