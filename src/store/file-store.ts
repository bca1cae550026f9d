/**
 * A SessionStore in a file per client id, so that a process killed at any moment loses and
 * duplicates nothing it had accepted: messages queued or in flight come back with their stage,
 * and inbound QoS 2 ids delivered but not released are remembered. Every change is a record in
 * a journal (journal.ts), written before the packet or delivery it justifies (the engine calls
 * flush() first); the journal is compacted to a snapshot of what is live whenever it has grown
 * past `maxLogBytes` and twice that live state.
 */
import { MqttError, usageError } from '../errors.js';
import type { PublishRequest } from '../session/index.js';
import { MemorySessionStore } from '../session/index.js';
import type { OutgoingFlow } from '../session/index.js';
import { Journal } from './journal.js';
import type { FsyncPolicy } from './journal.js';
import type { StoreLock } from './lock.js';
import { decodeRecord, encodeRecord } from './records.js';
import type { StoreRecord, StoredMessage } from './records.js';
import { StoreState } from './state.js';

export interface FileStoreOptions {
  /** When written records reach the disk: 'always' (every flush), 'interval' (default), 'never' (the OS decides). */
  fsync?: FsyncPolicy;
  /** With 'interval': ms between syncs. Default 50. */
  fsyncInterval?: number;
  /** The journal is compacted once over this size and twice its live content. Default 4 MiB. */
  maxLogBytes?: number;
  /** Told about damage found when opening (a torn or corrupt tail). Default: process.emitWarning. */
  warn?: (message: string) => void;
}

export class FileSessionStore<T = unknown> extends MemorySessionStore<T> {
  readonly #journal: Journal;
  readonly #lock: StoreLock;
  readonly #state = new StoreState();
  readonly #maxLogBytes: number;
  readonly #recordedStage = new Map<number, 'publish' | 'pubrel'>();
  readonly #seqByPacket = new Map<number, number>();
  readonly #seqOf = new WeakMap<PublishRequest<T>, number>();
  #restoredQueue: PublishRequest<T>[] = [];
  #closed = false;
  #failure: string | undefined;
  readonly #path: string;
  readonly #warn: (message: string) => void;
  #nextSeq: number;

  constructor(path: string, lock: StoreLock, options: FileStoreOptions, warn: (message: string) => void) {
    super();
    this.#lock = lock;
    this.#path = path;
    this.#warn = warn;
    this.#maxLogBytes = options.maxLogBytes ?? 4 * 1024 * 1024;
    const journalOptions = { fsync: options.fsync ?? 'interval', warn, ...(options.fsyncInterval === undefined ? {} : { fsyncInterval: options.fsyncInterval }) };
    const { journal, records } = Journal.open(path, journalOptions);
    this.#journal = journal;
    let zeroFilled = false;
    for (const body of records) {
      // This store writes no empty record: one (its header all zeros, as the CRC of nothing is
      // 0) is a zero-filled tail, left by a power loss after the file grew but before its
      // blocks were written. Torn, like a failed CRC: cut off (by the compaction below).
      if (body.length === 0) {
        warn(`${path}: the end is zero-filled, torn or corrupt (a power loss mid-write?) and was cut off`);
        zeroFilled = true;
        break;
      }
      try {
        this.#state.apply(decodeRecord(body), body.length);
      } catch (error) {
        // Checksummed but unreadable: written on purpose by something else (a newer version?),
        // not torn by a crash. Cutting it off would destroy what that writer had accepted.
        journal.close();
        throw usageError('STORE_UNREADABLE', `${path}: a record could not be read (${(error as Error).message}); the file is left as it is (written by another version?)`);
      }
    }
    this.#nextSeq = this.#state.lastSeq + 1;
    for (const flow of this.#state.flows.values()) {
      const request = restoredRequest<T>(flow.message);
      this.#seqOf.set(request, flow.seq);
      if (flow.stage === 'queued' || flow.packetId === undefined) {
        this.#restoredQueue.push(request);
      } else {
        // Records each readable, together impossible (from another writer): a QoS 0 message has
        // no packet id, and two in flight under one id would keep only the last.
        if (flow.message.qos === 0 || this.getOutgoing(flow.packetId) !== undefined) {
          journal.close();
          throw usageError('STORE_UNREADABLE', `${path}: message ${flow.seq} cannot be in flight under packet id ${flow.packetId}; the file is left as it is (written by another version?)`);
        }
        super.putOutgoing({ packetId: flow.packetId, stage: flow.stage, request, sentAt: 0 });
        this.#recordedStage.set(flow.packetId, flow.stage);
        this.#seqByPacket.set(flow.packetId, flow.seq);
      }
    }
    for (const packetId of this.#state.inbound) super.addIncoming(packetId);
    if (zeroFilled) this.#compact();
  }

  override putOutgoing(flow: OutgoingFlow<T>): void {
    const { packetId } = flow;
    if (this.getOutgoing(packetId) === flow) {
      if (flow.stage === 'pubrel' && this.#recordedStage.get(packetId) === 'publish') {
        this.#recordedStage.set(packetId, 'pubrel');
        this.#record({ kind: 'release', seq: this.#seqByPacket.get(packetId)! });
      }
      return super.putOutgoing(flow); // a re-send keeps its place; a PUBREC moves it to the end
    }
    const known = this.#seqOf.get(flow.request);
    const seq = known ?? this.#accept(flow.request);
    this.#record({ kind: 'send', seq, packetId });
    if (flow.stage === 'pubrel') this.#record({ kind: 'release', seq });
    if (known === undefined) this.#commit(flow.request, seq);
    this.#recordedStage.set(packetId, flow.stage);
    this.#seqByPacket.set(packetId, seq);
    super.putOutgoing(flow);
  }

  override deleteOutgoing(packetId: number): void {
    const seq = this.#seqByPacket.get(packetId);
    if (seq === undefined) return;
    const flow = this.getOutgoing(packetId);
    if (flow !== undefined) this.#seqOf.delete(flow.request);
    this.#recordedStage.delete(packetId);
    this.#seqByPacket.delete(packetId);
    this.#record({ kind: 'done', seq });
    super.deleteOutgoing(packetId);
  }

  override addIncoming(packetId: number): void {
    if (this.hasIncoming(packetId)) return;
    super.addIncoming(packetId);
    this.#record({ kind: 'inbound', packetId });
  }

  override deleteIncoming(packetId: number): void {
    if (!this.hasIncoming(packetId)) return;
    super.deleteIncoming(packetId);
    this.#record({ kind: 'inbound-released', packetId });
  }

  override clearIncoming(): void {
    if (this.#state.inbound.size === 0) return;
    super.clearIncoming();
    this.#record({ kind: 'inbound-cleared' });
  }

  queued(request: PublishRequest<T>): void {
    if (!this.#seqOf.has(request)) this.#commit(request, this.#accept(request));
  }

  settled(request: PublishRequest<T>): void {
    const seq = this.#seqOf.get(request);
    if (seq === undefined) return;
    this.#seqOf.delete(request);
    this.#record({ kind: 'done', seq });
  }

  restoredQueue(): PublishRequest<T>[] {
    const queue = this.#restoredQueue;
    this.#restoredQueue = [];
    return queue;
  }

  /**
   * Writes the changes so far. A failed write (disk full, I/O error) is reported, not thrown:
   * the client goes on with its state in memory — nothing it holds is lost while the process
   * lives — and every later flush tries to rewrite the whole state, after which the file is
   * whole again. Until then a crash would lose what the file lacks; the warning says so. (A
   * message just accepted is never among it: #commit refuses one it cannot write.)
   */
  flush(): void {
    if (this.#closed) return;
    try {
      if (this.#failure !== undefined) {
        this.#compact();
        this.#warn(`${this.#path}: the session store is written again`);
        this.#failure = undefined;
      } else if (this.#journal.dirty) {
        this.#journal.flush();
        if (this.#journal.size > this.#maxLogBytes && this.#journal.size > 2 * this.#state.snapshotBytes) this.#compact();
      }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      if (this.#failure === undefined) {
        this.#warn(`${this.#path}: the session store cannot be written (${code}); the client keeps its state in memory and retries, but a crash now would lose what is not yet written`);
      }
      this.#failure = code;
      this.#journal.discardPending(); // the retry rewrites the whole state instead
    }
  }

  /** Why the last write failed, while the file lags behind the state (undefined when it is whole). */
  get failure(): string | undefined {
    return this.#failure;
  }

  /**
   * Makes everything durable and releases the store for another process (or client). A client
   * still using it afterwards changes only its memory: the file keeps the state as of close().
   */
  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    try {
      this.#journal.close();
    } catch (error) {
      this.#warn(`${this.#path}: closing the session store failed (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    } finally {
      this.#lock.release();
    }
  }

  /**
   * Messages this store has ever accepted. An application numbering its messages can resume
   * from here after a crash: the count is durable with the message it counts.
   */
  get acceptedCount(): number {
    return this.#nextSeq - 1;
  }

  /** Bytes in the journal now (for tests and the benchmark's bound). */
  get logBytes(): number {
    return this.#journal.size;
  }

  #accept(request: PublishRequest<T>): number {
    const seq = this.#nextSeq++;
    this.#seqOf.set(request, seq);
    const message: StoredMessage = { topic: request.topic, payload: request.payload, qos: request.qos, retain: request.retain };
    if (request.messageId !== undefined) message.messageId = request.messageId;
    if (request.properties !== undefined) message.properties = request.properties;
    this.#record({ kind: 'accept', seq, message });
    return seq;
  }

  /**
   * A message just accepted is written at once, before the session takes it: one the file
   * cannot have (disk full, the journal removed, an I/O error), even after a rewrite of the
   * whole state, is forgotten and refused with STORE_WRITE_FAILED — never accepted into memory
   * alone, where a crash would lose it.
   */
  #commit(request: PublishRequest<T>, seq: number): void {
    if (this.#closed) return;
    const failing = this.#failure !== undefined;
    this.flush(); // while failing: the rewrite of the whole state
    if (!failing && this.#failure !== undefined) this.flush(); // an append failed: the rewrite may not
    const failure = this.#failure;
    if (failure === undefined) return;
    this.#state.apply({ kind: 'done', seq });
    // It was the last message accepted: its number is free again (acceptedCount counts it no more).
    this.#nextSeq = seq;
    this.#state.lastSeq = seq - 1;
    this.#seqOf.delete(request);
    throw new MqttError('STORE_WRITE_FAILED', `The session store ${this.#path} cannot be written (${failure}): the publish is refused`);
  }

  #record(record: StoreRecord): void {
    if (this.#closed) return;
    const body = encodeRecord(record);
    this.#state.apply(record, body.length);
    // While writes fail, the state alone is kept: the recovery rewrites all of it.
    if (this.#failure === undefined) this.#journal.append(body);
  }

  #compact(): void {
    this.#journal.rewrite([...this.#state.snapshot()].map(encodeRecord));
  }
}

function restoredRequest<T>(message: StoredMessage): PublishRequest<T> {
  const request: PublishRequest<T> = { topic: message.topic, payload: message.payload, qos: message.qos, retain: message.retain, restored: true };
  if (message.messageId !== undefined) request.messageId = message.messageId;
  if (message.properties !== undefined) request.properties = message.properties;
  return request;
}
