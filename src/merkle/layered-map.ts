/**
 * A map derived from another by a few changes, without copying it: a flat base (never changed once a
 * layer is over it) and a layer of the keys set or removed since. Lookups look in the layer, then the base;
 * iteration yields the base's entries in its order (changed values in place, removed keys skipped), then
 * the keys the layer added. A layer over a layer starts from its parent's changes (copied, so the parent
 * stays as it is), so a chain of derivations costs in proportion to the changes, not to the base; once the
 * changes outgrow a quarter of the base, derivation flattens into a new base (each entry copied at most once
 * per four changed, amortised). Deriving a manifest after a one-file change costs one small map, not a copy
 * of 100,000 paths. Pure.
 */

const GONE: unique symbol = Symbol("removed");
type Slot<V> = V | typeof GONE;

/** Changes beyond this share of the base's size flatten a derivation into a new base. */
const FLATTEN_SHARE = 0.25;

export class LayeredMap<K, V> implements ReadonlyMap<K, V> {
  private count: number;

  private constructor(
    private readonly base: ReadonlyMap<K, V>,
    private readonly layer: Map<K, Slot<V>>,
    count: number,
  ) {
    this.count = count;
  }

  /** A map equal to `from`, to change with set and delete while `from` stays as it is. */
  static derive<K, V>(from: ReadonlyMap<K, V>): LayeredMap<K, V> {
    if (from instanceof LayeredMap) {
      const parent = from as LayeredMap<K, V>;
      if (parent.layer.size <= parent.base.size * FLATTEN_SHARE) {
        return new LayeredMap(parent.base, new Map(parent.layer), parent.count);
      }
      return new LayeredMap(new Map(parent), new Map(), parent.count);
    }
    return new LayeredMap(from, new Map(), from.size);
  }

  get size(): number {
    return this.count;
  }

  get(key: K): V | undefined {
    const slot = this.layer.get(key);
    if (slot !== undefined) return slot === GONE ? undefined : slot;
    return this.layer.has(key) ? (slot as V) : this.base.get(key);
  }

  has(key: K): boolean {
    const slot = this.layer.get(key);
    if (slot !== undefined || this.layer.has(key)) return slot !== GONE;
    return this.base.has(key);
  }

  set(key: K, value: V): this {
    if (!this.has(key)) this.count++;
    this.layer.set(key, value);
    return this;
  }

  delete(key: K): boolean {
    if (!this.has(key)) return false;
    this.count--;
    if (this.base.has(key)) this.layer.set(key, GONE);
    else this.layer.delete(key);
    return true;
  }

  *entries(): MapIterator<[K, V]> {
    for (const [key, value] of this.base) {
      if (!this.layer.has(key)) {
        yield [key, value];
        continue;
      }
      const slot = this.layer.get(key) as Slot<V>;
      if (slot !== GONE) yield [key, slot];
    }
    for (const [key, slot] of this.layer) if (slot !== GONE && !this.base.has(key)) yield [key, slot];
  }

  *keys(): MapIterator<K> {
    for (const [key] of this.entries()) yield key;
  }

  *values(): MapIterator<V> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  forEach(callback: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.entries()) callback.call(thisArg, value, key, this);
  }
}
