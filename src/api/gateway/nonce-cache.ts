/**
 * The signature nonces seen within the timestamp window. A nonce must be remembered only while
 * a request carrying it could still be accepted — until its timestamp leaves the window — so
 * entries are kept in one-minute buckets by that moment and dropped a bucket at a time.
 * When full, new nonces are refused rather than old ones forgotten: forgetting would let a
 * captured request be replayed.
 */
const BUCKET_MS = 60_000;

export type NonceVerdict = 'fresh' | 'used' | 'full';

export class NonceCache {
  readonly #seen = new Set<string>();
  /** Nonces by the bucket after whose end they can be forgotten. */
  readonly #buckets = new Map<number, string[]>();
  readonly #capacity: number;
  #sweptUpTo = -Infinity;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#seen.size;
  }

  /** Records `nonce` (already scoped to its access key) as used until `forgetAfter` (epoch ms). */
  remember(nonce: string, forgetAfter: number, now: number): NonceVerdict {
    this.#sweep(now);
    if (this.#seen.has(nonce)) return 'used';
    if (this.#seen.size >= this.#capacity) return 'full';
    this.#seen.add(nonce);
    const bucket = Math.ceil(forgetAfter / BUCKET_MS);
    const list = this.#buckets.get(bucket);
    if (list === undefined) this.#buckets.set(bucket, [nonce]);
    else list.push(nonce);
    return 'fresh';
  }

  #sweep(now: number): void {
    const current = Math.floor(now / BUCKET_MS);
    if (current <= this.#sweptUpTo) return;
    this.#sweptUpTo = current;
    for (const [bucket, nonces] of this.#buckets) {
      if (bucket > current) continue;
      for (const nonce of nonces) this.#seen.delete(nonce);
      this.#buckets.delete(bucket);
    }
  }
}
