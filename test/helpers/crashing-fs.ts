// A FileSystem that loses power: it passes operations to the real one and,
// at a chosen operation, throws PowerCut instead (optionally after writing
// only part of a file, as a torn write does). Tests run an update once per
// operation it performs, cutting the power at each in turn, then "reboot" onto
// whatever the disk holds.
import { closeSync, constants, fsyncSync, openSync, writeSync } from 'node:fs';
import { nodeFileSystem, type FileReader, type FileSystem } from '../../src/catalogue/files';

export class PowerCut extends Error {
  override readonly name = 'PowerCut';
}

export interface CrashPlan {
  /** Operations (1-based) to let through; the next one fails. Infinity never fails. */
  readonly cutAfter: number;
  /** When the failing operation is a write: how much of it reaches the disk first (0 to 1). */
  readonly tornFraction?: number;
}

export class CrashingFileSystem implements FileSystem {
  operations = 0;
  readonly log: string[] = [];

  constructor(private readonly plan: CrashPlan) {}

  private step(what: string): void {
    this.operations += 1;
    this.log.push(what);
    if (this.operations > this.plan.cutAfter) throw new PowerCut(`power cut at operation ${this.operations} (${what})`);
  }

  openRead(file: string): FileReader {
    return nodeFileSystem.openRead(file);
  }

  readAt(file: string, position: number, into: Uint8Array): number {
    return nodeFileSystem.readAt(file, position, into);
  }

  list(dir: string): string[] {
    return nodeFileSystem.list(dir);
  }

  writeFileDurable(file: string, parts: readonly Uint8Array[]): void {
    const bytes = Buffer.concat(parts);
    this.operations += 1;
    this.log.push(`write ${file}`);
    if (this.operations > this.plan.cutAfter) {
      const torn = Math.floor(bytes.length * (this.plan.tornFraction ?? 0));
      if (torn > 0) {
        const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o644);
        writeSync(fd, bytes, 0, torn);
        fsyncSync(fd);
        closeSync(fd);
      }
      throw new PowerCut(`power cut at operation ${this.operations} (write ${file}, ${torn} of ${bytes.length} bytes on disk)`);
    }
    nodeFileSystem.writeFileDurable(file, parts);
  }

  rename(from: string, to: string): void {
    this.step(`rename ${from} ${to}`);
    nodeFileSystem.rename(from, to);
  }

  link(existing: string, created: string): void {
    this.step(`link ${existing} ${created}`);
    nodeFileSystem.link(existing, created);
  }

  unlink(file: string): void {
    this.step(`unlink ${file}`);
    nodeFileSystem.unlink(file);
  }

  exists(file: string): boolean {
    return nodeFileSystem.exists(file);
  }

  fsyncDir(dir: string): void {
    this.step(`fsync ${dir}`);
    nodeFileSystem.fsyncDir(dir);
  }
}
