// `settle-terminal hub …`: the reference hub (serve, generate, enroll,
// clearing, audit, show). Tools bundle: the firmware's shim is in
// tool-commands.ts; this passes in the binding, the signals and the clock.
import { runHub } from '../../device/sim/hub/cli';
import { realBinding } from './binding';
import type { CliIo } from './command';

export async function runHubCommand(args: readonly string[], io: CliIo): Promise<number> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await runHub(args, { stdout: io.stdout, stderr: io.stderr, binding: realBinding, signal: controller.signal, timeS: () => Math.floor(Date.now() / 1_000) });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
