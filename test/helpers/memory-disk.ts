// A disk in memory that loses power (STYLE.md habit 6): files are inodes with
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

interface Inode {
  content: Uint8Array;
  durable: Uint8Array | null;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
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
    if (inode === undefined) this.names.set(file, (inode = { content: new Uint8Array(0), durable: null }));
    return inode;
  }

  read(file: string): Uint8Array | null {
    const inode = this.names.get(file);
    return inode === undefined ? null : inode.content.slice();
  }

  append(file: string, bytes: Uint8Array): void {
    this.operations += 1;
    if (this.operations > this.cutAfter) {
      const inode = this.inode(file);
      inode.content = concat(inode.content, bytes.subarray(0, Math.floor(bytes.length * this.tornFraction)));
      throw new PowerCut(`power cut at operation ${this.operations} (append)`);
    }
    const inode = this.inode(file);
    inode.content = concat(inode.content, bytes);
  }

  sync(file: string): void {
    this.step();
    const inode = this.inode(file);
    inode.durable = inode.content.slice();
  }

  truncate(file: string, length: number): void {
    this.step();
    const inode = this.inode(file);
    inode.content = inode.content.slice(0, length);
    inode.durable = inode.content.slice();
  }

  write(file: string, bytes: Uint8Array): void {
    this.step();
    this.inode(file).content = bytes.slice();
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
        const durable = inode.durable ?? new Uint8Array(0);
        let content = durable;
        const extends_ = inode.content.length > durable.length && durable.every((byte, index) => inode.content[index] === byte);
        if (extends_) content = inode.content.slice(0, durable.length + Math.floor(random() * (inode.content.length - durable.length + 1)));
        survivor = { content: content.slice(), durable: content.slice() };
        survivors.set(inode, survivor);
      }
      disk.names.set(name, survivor);
    }
    disk.durableNames = new Map(disk.names);
    return disk;
  }

  /** Every file name and size (for failure messages). */
  listing(): string {
    return [...this.names].map(([name, inode]) => `${name}: ${inode.content.length}`).join(', ');
  }
}
