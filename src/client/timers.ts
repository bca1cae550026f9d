/** The client's real timers, by name: the only place the engine starts a timer. */
import { startTimer, stopTimer } from './scheduler.js';
import type { TimerHandle } from './scheduler.js';

export type TimerName = 'session' | 'connect' | 'reconnect' | 'close' | 'linger';

/** The longest delay setTimeout keeps: a longer one fires after 1 ms (Node warns; browsers do not). */
export const MAX_TIMER_MS = 2_147_483_647;
/** A timer this late means the process was stalled (see set). */
const STALLED_MS = 100;

export class ClientTimers {
  /** One slot per name, in an object of fixed shape: smaller than a Map (a client lives with one timer). */
  readonly #handles: Record<TimerName, TimerHandle | undefined> = { session: undefined, connect: undefined, reconnect: undefined, close: undefined, linger: undefined };
  /** When the 'session' timer fires, on the client's clock; meaningful only while it is set. */
  #sessionAt = Infinity;

  readonly #clock: () => number;

  /** `clock`: the client's (ms). */
  constructor(clock: () => number) {
    this.#clock = clock;
  }

  /**
   * (Re)starts timer `name`. An unref'd timer does not keep the process alive on its own.
   * A timer long past its time means the process was stalled (suspended, or a long synchronous
   * task), and the event loop runs timers before it reads what arrived meanwhile: it waits one
   * read turn more, so a PINGRESP, CONNACK, PUBACK or an opened socket waiting unread counts
   * before a deadline is judged passed (a false keepalive disconnect, as in MQTT.js #1257).
   * Clearing the timer in that turn cancels it.
   */
  set(name: TimerName, delayMs: number, fire: () => void, unref = false): void {
    // Past setTimeout's range (a limit of weeks, or Infinity), wait in steps it can keep.
    if (delayMs > MAX_TIMER_MS) return this.set(name, MAX_TIMER_MS, () => this.set(name, delayMs - MAX_TIMER_MS, fire, unref), unref);
    this.clear(name);
    const due = this.#clock() + delayMs;
    this.#handles[name] = startTimer(
      () => {
        this.#handles[name] = undefined;
        if (this.#clock() - due < STALLED_MS) fire();
        else this.set(name, 0, fire, unref);
      },
      delayMs,
      unref,
    );
  }

  clear(name: TimerName): void {
    const handle = this.#handles[name];
    if (handle === undefined) return;
    stopTimer(handle);
    this.#handles[name] = undefined;
  }

  has(name: TimerName): boolean {
    return this.#handles[name] !== undefined;
  }

  /**
   * Makes sure `fire` runs by `at` (clock ms; undefined: no deadline). An earlier wake-up
   * already set is kept: it re-arms for the later deadline when it fires, which costs less
   * than moving a timer on every packet. The clock is read only to set a timer: most calls
   * (one per packet sent) set none, and a clock read is a system call on some VMs. #sessionAt
   * stays `at` while a late wake-up waits its read turn, so that wake-up is kept too.
   */
  wakeBy_(at: number | undefined, fire: (now: number) => void): void {
    if (at === undefined) return this.clear('session');
    if (this.#handles.session !== undefined && this.#sessionAt <= at) return;
    this.set('session', Math.max(0, Math.ceil(at - this.#clock())), () => fire(this.#clock()), true);
    this.#sessionAt = at;
  }
}
