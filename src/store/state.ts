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
}

export class StoreState {
  /** By sequence number; Map order is acceptance order. */
  readonly flows = new Map<number, StoredFlow>();
  readonly inbound = new Set<number>();
  lastSeq = 0;

  apply(record: StoreRecord): void {
    switch (record.kind) {
      case 'accept':
        this.flows.set(record.seq, { seq: record.seq, message: record.message, stage: 'queued' });
        this.lastSeq = Math.max(this.lastSeq, record.seq);
        return;
      case 'send': {
        const flow = this.flows.get(record.seq);
        if (flow !== undefined) {
          flow.packetId = record.packetId;
          flow.stage = 'publish';
        }
        return;
      }
      case 'release': {
        const flow = this.flows.get(record.seq);
        if (flow !== undefined) flow.stage = 'pubrel';
        return;
      }
      case 'done':
        this.flows.delete(record.seq);
        return;
      case 'inbound':
        this.inbound.add(record.packetId);
        return;
      case 'inbound-released':
        this.inbound.delete(record.packetId);
        return;
      case 'inbound-cleared':
        this.inbound.clear();
        return;
    }
  }

  /** The fewest records that rebuild this state (what compaction writes). */
  *snapshot(): Generator<StoreRecord> {
    for (const flow of this.flows.values()) {
      yield { kind: 'accept', seq: flow.seq, message: flow.message };
      if (flow.packetId !== undefined) yield { kind: 'send', seq: flow.seq, packetId: flow.packetId };
      if (flow.stage === 'pubrel') yield { kind: 'release', seq: flow.seq };
    }
    for (const packetId of this.inbound) yield { kind: 'inbound', packetId };
  }
}
