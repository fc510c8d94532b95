/** A bounded ring of the most recent items: pushing past `capacity` overwrites the oldest. */
export class SampleHistory<T> {
  readonly #items: (T | undefined)[];
  #next = 0;
  #size = 0;

  /** @param capacity - how many items it keeps (a positive integer) */
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.#items = new Array<T | undefined>(capacity);
  }

  /** Adds an item, dropping the oldest when full. */
  push(item: T): void {
    this.#items[this.#next] = item;
    this.#next = (this.#next + 1) % this.capacity;
    this.#size = Math.min(this.#size + 1, this.capacity);
  }

  /** The items, oldest first, as a new array. */
  toArray(): T[] {
    const start = (this.#next - this.#size + this.capacity) % this.capacity;
    const items: T[] = [];
    for (let i = 0; i < this.#size; i += 1) items.push(this.#items[(start + i) % this.capacity] as T);
    return items;
  }

  /** The newest item, if any. */
  latest(): T | undefined {
    return this.#size === 0 ? undefined : this.#items[(this.#next - 1 + this.capacity) % this.capacity];
  }

  /** How many items it holds (at most `capacity`). */
  get size(): number {
    return this.#size;
  }
}
