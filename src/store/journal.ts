/**
 * An append-only file of checksummed records: what a durable session store is written to.
 * Each record is [length u32][crc32 u32][body], little-endian. Opening reads every record back;
 * a tail that is torn (a crash mid-write) or corrupt stops the read there and is cut off with a
 * warning, so a damaged file never replays garbage and never stops the client.
 *
 * Appends are buffered and written by flush(), which the engine calls before it writes to the
 * socket: a message is in the file before it can be on the wire. What reaches the disk, and
 * when, is the fsync policy's: 'always' syncs at every flush, 'interval' (the default) at most
 * every `fsyncInterval` ms, 'never' leaves it to the operating system. A write that reached the
 * file survives the process being killed in every policy; only a power loss or a kernel crash can
 * take what was not yet synced.
 */
import { closeSync, existsSync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readSync, renameSync, rmSync, writeSync, fsyncSync } from 'node:fs';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';

export type FsyncPolicy = 'always' | 'interval' | 'never';

export interface JournalOptions {
  fsync: FsyncPolicy;
  /** With 'interval': ms between syncs of what was written. Default 50. */
  fsyncInterval?: number;
  /** Told about a cut-off tail. */
  warn: (message: string) => void;
}

const HEADER = 8;
/** A record longer than this is taken as corruption, not allocated. */
const MAX_RECORD = 512 * 1024 * 1024;

export class Journal {
  #fd: number;
  readonly #path: string;
  readonly #options: JournalOptions;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #unsynced = false;
  #timer: ReturnType<typeof setInterval> | undefined;
  /** Bytes in the file. */
  size = 0;

  private constructor(path: string, fd: number, options: JournalOptions) {
    this.#path = path;
    this.#fd = fd;
    this.#options = options;
    if (options.fsync === 'interval') {
      this.#timer = setInterval(() => this.#sync(), options.fsyncInterval ?? 50);
      this.#timer.unref?.();
    }
  }

  /** Opens (creating) the file at `path` and reads its intact records. */
  static open(path: string, options: JournalOptions): { journal: Journal; records: Uint8Array[] } {
    const created = !existsSync(path);
    const fd = openSync(path, 'a+');
    // A new file's own fsync does not make the directory entry naming it durable (fsync(2)):
    // without this, a power loss could leave no journal where the policy promised its records.
    if (created && options.fsync !== 'never') syncDirectory(dirname(path));
    const { records, intact, total } = readRecords(fd);
    if (intact < total) {
      options.warn(`${path}: ${total - intact} bytes at the end are torn or corrupt (a crash mid-write?) and were cut off`);
      ftruncateSync(fd, intact);
      fsyncSync(fd);
    }
    const journal = new Journal(path, fd, options);
    journal.size = intact;
    return { journal, records };
  }

  /** Queues a record; it reaches the file at the next flush(). */
  append(body: Uint8Array): void {
    this.#pending.push(framed(body));
    this.#pendingBytes += HEADER + body.length;
  }

  get dirty(): boolean {
    return this.#pendingBytes > 0;
  }

  /** Forgets what was appended but not written (the caller will rewrite the whole state). */
  discardPending(): void {
    this.#pending = [];
    this.#pendingBytes = 0;
  }

  /**
   * Writes what was appended (one write), then syncs as the policy says. A failed write
   * (disk full, I/O error), or with 'always' a failed sync, throws with the file cut back to its
   * last whole record, so a later write never lands after a torn one; the records stay pending.
   */
  flush(): void {
    if (this.#pendingBytes === 0) return;
    const chunk = Buffer.concat(this.#pending, this.#pendingBytes);
    try {
      // A journal removed while open (a tmp cleaner, an operator) still takes writes, into a
      // file no restart can find: that is a failed write (the caller then rewrites the state).
      if (fstatSync(this.#fd).nlink === 0) throw Object.assign(new Error(`${this.#path} was removed`), { code: 'ENOENT' });
      writeAll(this.#fd, chunk);
      // 'always' promises each record on the disk before the packet it justifies: one that
      // cannot be synced (EIO; ENOSPC where space is allocated late) counts as not written.
      if (this.#options.fsync === 'always') fdatasyncSync(this.#fd);
    } catch (error) {
      try {
        ftruncateSync(this.#fd, this.size);
      } catch {
        // The cut is best effort: a torn tail is found by its checksum on the next open anyway.
      }
      throw error;
    }
    this.#pending = [];
    this.#pendingBytes = 0;
    this.size += chunk.length;
    this.#unsynced = this.#options.fsync !== 'always';
  }

  /**
   * Replaces the whole file with `bodies` (compaction, or recovery after a failed write):
   * written beside it, synced, renamed over it, so a crash at any point leaves either the old
   * file or the new one, never a mix. What was pending is not written: `bodies` is the state.
   */
  rewrite(bodies: Iterable<Uint8Array>): void {
    const temporary = `${this.#path}.compact`;
    const parts: Uint8Array[] = [];
    for (const body of bodies) parts.push(framed(body));
    const chunk = Buffer.concat(parts);
    const fd = openSync(temporary, 'w');
    try {
      writeAll(fd, chunk);
      fsyncSync(fd);
    } catch (error) {
      closeSync(fd);
      rmSync(temporary, { force: true });
      throw error;
    }
    closeSync(fd);
    renameSync(temporary, this.#path);
    syncDirectory(dirname(this.#path));
    closeSync(this.#fd);
    this.#fd = openSync(this.#path, 'a+');
    this.discardPending();
    this.size = chunk.length;
    this.#unsynced = false;
  }

  /** Writes and syncs what it can, then closes; a failure to write is thrown after closing. */
  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    try {
      this.flush();
      this.#sync();
    } finally {
      closeSync(this.#fd);
    }
  }

  #sync(): void {
    if (!this.#unsynced) return;
    try {
      fdatasyncSync(this.#fd);
      this.#unsynced = false;
    } catch (error) {
      // Still unsynced: the next sync tries again. Reported, never thrown from a timer.
      this.#options.warn(`${this.#path}: fsync failed (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); will retry`);
    }
  }
}

/** [length][crc32][body]. */
function framed(body: Uint8Array): Uint8Array {
  const record = new Uint8Array(HEADER + body.length);
  const view = new DataView(record.buffer);
  view.setUint32(0, body.length, true);
  view.setUint32(4, crc32(body), true);
  record.set(body, HEADER);
  return record;
}

function writeAll(fd: number, chunk: Uint8Array): void {
  let written = 0;
  while (written < chunk.length) written += writeSync(fd, chunk, written, chunk.length - written);
}

/** Every intact record from the start, and where the intact part ends. */
function readRecords(fd: number): { records: Uint8Array[]; intact: number; total: number } {
  const total = fstatSync(fd).size;
  const data = Buffer.alloc(total);
  let read = 0;
  while (read < total) {
    const n = readSync(fd, data, read, total - read, read);
    if (n === 0) break;
    read += n;
  }
  const records: Uint8Array[] = [];
  let offset = 0;
  while (offset + HEADER <= read) {
    const length = data.readUInt32LE(offset);
    const checksum = data.readUInt32LE(offset + 4);
    if (length > MAX_RECORD || offset + HEADER + length > read) break;
    const body = data.subarray(offset + HEADER, offset + HEADER + length);
    if (crc32(body) !== checksum) break;
    records.push(body);
    offset += HEADER + length;
  }
  return { records, intact: offset, total };
}

function syncDirectory(path: string): void {
  try {
    const fd = openSync(path, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some platforms cannot open or sync a directory; the rename is still atomic there.
  }
}
