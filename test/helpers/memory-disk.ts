// A disk in memory that loses power (docs/conventions.md habit 6): files are inodes with
// what reads see and what an fsync made durable; names change at once but
// survive a power cut only once their directory was synced. A plan cuts the
// power before the Nth operation (an append may first leave part of its bytes
// behind); `reboot(random)` then gives a fresh disk holding what a real one
// might: every inode's durable bytes plus, for appends, any prefix of what
// was written after the last fsync, and the names as of the last directory
// sync (or, by chance, the latest ones).
import type { JournalStorage } from '../../src/journal/storage';

export class PowerCut extends Error {
  override readonly name = 'PowerCut';
}

/**
 * A file's bytes (a buffer that grows by doubling: appends cost no copy of
 * the file) and what an fsync made durable: the first `durableLength` bytes,
 * or, once the file was rewritten after its last fsync, a copy of them.
 */
class Inode {
  buffer = new Uint8Array(64);
  length = 0;
  durableLength = 0;
  durableCopy: Uint8Array | null = null;

  get content(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  get durable(): Uint8Array {
    return this.durableCopy ?? this.buffer.subarray(0, this.durableLength);
  }

  append(bytes: Uint8Array): void {
    if (this.length + bytes.length > this.buffer.length) {
      let size = this.buffer.length * 2;
      while (size < this.length + bytes.length) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.content);
      this.buffer = grown;
    }
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  replace(bytes: Uint8Array): void {
    this.durableCopy ??= this.durable.slice();
    this.buffer = new Uint8Array(Math.max(64, bytes.length));
    this.length = 0;
    this.append(bytes);
  }

  sync(): void {
    this.durableCopy = null;
    this.durableLength = this.length;
  }
}

export class MemoryDisk implements JournalStorage {
  operations = 0;
  /** Operations (1-based) allowed; the next one cuts the power. Infinity never cuts. */
  cutAfter = Infinity;
  /** Part of an append cut by the power that still reaches the page cache (0 to 1). */
  tornFraction = 0.5;
  private names = new Map<string, Inode>();
  private durableNames = new Map<string, Inode>();

  private step(): void {
    this.operations += 1;
    if (this.operations > this.cutAfter) throw new PowerCut(`power cut at operation ${this.operations}`);
  }

  private inode(file: string): Inode {
    let inode = this.names.get(file);
    if (inode === undefined) this.names.set(file, (inode = new Inode()));
    return inode;
  }

  read(file: string): Uint8Array | null {
    const inode = this.names.get(file);
    return inode === undefined ? null : inode.content.slice();
  }

  append(file: string, bytes: Uint8Array): void {
    this.operations += 1;
    if (this.operations > this.cutAfter) {
      this.inode(file).append(bytes.subarray(0, Math.floor(bytes.length * this.tornFraction)));
      throw new PowerCut(`power cut at operation ${this.operations} (append)`);
    }
    this.inode(file).append(bytes);
  }

  sync(file: string): void {
    this.step();
    this.inode(file).sync();
  }

  truncate(file: string, length: number): void {
    this.step();
    const inode = this.inode(file);
    inode.length = Math.min(inode.length, length);
    inode.sync();
  }

  write(file: string, bytes: Uint8Array): void {
    this.step();
    this.inode(file).replace(bytes);
  }

  rename(from: string, to: string): void {
    this.step();
    const inode = this.names.get(from);
    if (inode === undefined) throw new Error(`ENOENT ${from}`);
    this.names.set(to, inode);
    this.names.delete(from);
  }

  remove(file: string): void {
    this.step();
    this.names.delete(file);
  }

  syncDir(): void {
    this.step();
    this.durableNames = new Map(this.names);
  }

  /** What a disk holds after the power came back: `random` decides every unsynced fate. */
  reboot(random: () => number): MemoryDisk {
    const disk = new MemoryDisk();
    const names = random() < 0.5 ? this.durableNames : this.names;
    const survivors = new Map<Inode, Inode>();
    for (const [name, inode] of names) {
      let survivor = survivors.get(inode);
      if (survivor === undefined) {
        survivor = new Inode();
        survivor.append(inode.durable);
        // Bytes appended after the last fsync may or may not have reached the disk: any prefix of them did.
        if (inode.durableCopy === null && inode.length > inode.durableLength) {
          survivor.append(inode.buffer.subarray(inode.durableLength, inode.durableLength + Math.floor(random() * (inode.length - inode.durableLength + 1))));
        }
        survivor.sync();
        survivors.set(inode, survivor);
      }
      disk.names.set(name, survivor);
    }
    disk.durableNames = new Map(disk.names);
    return disk;
  }

  /** Every file name and size (for failure messages). */
  listing(): string {
    return [...this.names].map(([name, inode]) => `${name}: ${inode.length}`).join(', ');
  }
}
