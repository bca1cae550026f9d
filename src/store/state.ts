/**
 * The state a durable store rebuilds from its records: the messages not yet finished, in the
 * order they were accepted, each with its packet id and stage once sent; and the inbound QoS 2
 * ids delivered but not released. Applying a record is idempotent enough for a replay: a
 * record about a message the state no longer holds is ignored.
 */
import type { StoreRecord, StoredMessage } from './records.js';

export interface StoredFlow {
  seq: number;
  message: StoredMessage;
  /** Set once the message was sent. */
  packetId?: number;
  stage: 'queued' | 'publish' | 'pubrel';
  /** Bytes of its ACCEPT record's body (0 when not told). */
  acceptBytes: number;
}

/** A record's framing in the journal (length, CRC), and the framed sizes of the small records. */
const FRAME = 8;
const MARK = FRAME + 9;
const SEND = FRAME + 11;
const RELEASE = FRAME + 9;
const INBOUND = FRAME + 3;

/** What `flow` takes in a snapshot. */
function bytesOf(flow: StoredFlow): number {
  return FRAME + flow.acceptBytes + (flow.packetId === undefined ? 0 : SEND) + (flow.stage === 'pubrel' ? RELEASE : 0);
}

export class StoreState {
  /** By sequence number; Map order is acceptance order. */
  readonly flows = new Map<number, StoredFlow>();
  readonly inbound = new Set<number>();
  lastSeq = 0;
  /**
   * Bytes a snapshot of this state takes in the journal, kept as the state changes (given each
   * ACCEPT's body size): compaction's yardstick is what is live now, not the last snapshot.
   */
  snapshotBytes = MARK;

  /** Applies `record`; `bodyBytes` is its encoded size (what an ACCEPT adds to a snapshot). */
  apply(record: StoreRecord, bodyBytes = 0): void {
    switch (record.kind) {
      case 'accept': {
        const old = this.flows.get(record.seq);
        if (old !== undefined) this.snapshotBytes -= bytesOf(old);
        const flow: StoredFlow = { seq: record.seq, message: record.message, stage: 'queued', acceptBytes: bodyBytes };
        this.flows.set(record.seq, flow);
        this.snapshotBytes += bytesOf(flow);
        this.lastSeq = Math.max(this.lastSeq, record.seq);
        return;
      }
      case 'send': {
        const flow = this.flows.get(record.seq);
        if (flow !== undefined) {
          this.snapshotBytes -= bytesOf(flow);
          flow.packetId = record.packetId;
          flow.stage = 'publish';
          this.snapshotBytes += bytesOf(flow);
        }
        return;
      }
      case 'release': {
        const flow = this.flows.get(record.seq);
        if (flow !== undefined) {
          this.snapshotBytes -= bytesOf(flow);
          flow.stage = 'pubrel';
          this.snapshotBytes += bytesOf(flow);
          // PUBRELs are re-sent in PUBREC order [MQTT-4.6.0-4]: to the end, as the session does.
          this.flows.delete(record.seq);
          this.flows.set(record.seq, flow);
        }
        return;
      }
      case 'done': {
        const flow = this.flows.get(record.seq);
        if (flow !== undefined) this.snapshotBytes -= bytesOf(flow);
        this.flows.delete(record.seq);
        return;
      }
      case 'inbound':
        if (!this.inbound.has(record.packetId)) this.snapshotBytes += INBOUND;
        this.inbound.add(record.packetId);
        return;
      case 'inbound-released':
        if (this.inbound.delete(record.packetId)) this.snapshotBytes -= INBOUND;
        return;
      case 'inbound-cleared':
        this.snapshotBytes -= INBOUND * this.inbound.size;
        this.inbound.clear();
        return;
      case 'mark':
        this.lastSeq = Math.max(this.lastSeq, record.seq);
        return;
    }
  }

  /** The fewest records that rebuild this state (what compaction writes). */
  *snapshot(): Generator<StoreRecord> {
    yield { kind: 'mark', seq: this.lastSeq };
    for (const flow of this.flows.values()) {
      yield { kind: 'accept', seq: flow.seq, message: flow.message };
      if (flow.packetId !== undefined) yield { kind: 'send', seq: flow.seq, packetId: flow.packetId };
      if (flow.stage === 'pubrel') yield { kind: 'release', seq: flow.seq };
    }
    for (const packetId of this.inbound) yield { kind: 'inbound', packetId };
  }
}
