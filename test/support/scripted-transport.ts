/**
 * A scripted fake transport for the property tests (engine and faces): the test decides when
 * each transport opens, what the broker sends and when it closes; every packet the client
 * writes is decoded and kept. Shared so the faces' tests drive the engine exactly as the
 * engine's own interleaving test does.
 */
import { PacketDecoder, encode } from './internals.js';
import type { Packet, Transport, TransportEvents, TransportFactory } from './internals.js';

/** How destroy() closes: in a microtask, synchronously, or only when the test says so. */
export type DestroyStyle = 'microtask' | 'sync' | 'late';

/** How each new transport behaves, in turn (cycled). */
export interface TransportPlan {
  throws: boolean;
  syncOpen: boolean;
  style: DestroyStyle;
}

export interface Fake {
  events: TransportEvents;
  packets: Packet[];
  decoder: PacketDecoder;
  opened: boolean;
  closed: boolean;
  destroyed: boolean;
  destroyedUnopened: boolean;
  /** write() answers false until the test drains it. */
  full: boolean;
  style: DestroyStyle;
}

export interface ScriptHooks {
  /** Before a transport is made (or the factory throws). */
  create?(): void;
  /** Every packet the client wrote, decoded. */
  written?(fake: Fake, packet: Packet): void;
  log?(line: string): void;
}

/** A factory of scripted transports; they are added to `fakes` in the order made. */
export function scriptedFactory(plans: TransportPlan[], fakes: Fake[], hooks: ScriptHooks = {}): TransportFactory {
  const log = hooks.log ?? ((): void => {});
  return (_endpoint, _options, events) => {
    const plan = plans[fakes.length % plans.length]!;
    hooks.create?.();
    if (plan.throws) throw new Error('cannot start');
    const fake: Fake = { events, packets: [], decoder: new PacketDecoder(), opened: false, closed: false, destroyed: false, destroyedUnopened: false, full: false, style: plan.style };
    fakes.push(fake);
    log(`  transport #${fakes.length - 1}`);
    const close = (error?: Error): void => {
      if (fake.closed) return;
      fake.closed = true;
      events.close(error);
    };
    const transport: Transport = {
      write: (bytes) => {
        if (fake.closed) return true;
        for (const packet of fake.decoder.push(bytes)) {
          fake.packets.push(packet);
          log(`  write ${packet.type} on #${fakes.indexOf(fake)}`);
          hooks.written?.(fake, packet);
        }
        return !fake.full;
      },
      end: () => queueMicrotask(() => close()),
      destroy: () => {
        log(`  destroy #${fakes.indexOf(fake)}`);
        if (fake.destroyed) return;
        fake.destroyed = true;
        fake.destroyedUnopened = !fake.opened;
        if (fake.style === 'sync') close();
        else if (fake.style === 'microtask') queueMicrotask(() => close());
        // 'late': closes when the test says so (or at the end)
      },
      pause: () => {},
      resume: () => {},
    };
    if (plan.syncOpen) {
      fake.opened = true;
      events.open();
    }
    return transport;
  };
}

/** The last transport not yet closed. */
export function liveFake(fakes: Fake[]): Fake | undefined {
  return fakes.filter((f) => !f.closed).at(-1);
}

/** The broker sends `packet` on `fake`, if it is open. */
export function sendTo(fake: Fake | undefined, packet: Packet): boolean {
  if (fake === undefined || !fake.opened || fake.closed) return false;
  fake.events.data(encode(packet));
  return true;
}

/** Closes every transport destroyed but not yet closed ('late'), as a real one eventually does. */
export function closeLate(fakes: Fake[]): void {
  for (const fake of fakes) if (!fake.closed && fake.destroyed) (fake.closed = true), fake.events.close();
}

/** Lets pending microtasks (and the promise chains behind them) run. */
export async function flushMicrotasks(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}
