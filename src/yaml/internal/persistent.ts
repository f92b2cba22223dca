/**
 * A persistent (immutable, structurally shared) map from strings: a hash
 * array mapped trie. Setting a key copies one path of the trie (O(log n)),
 * not the whole map, and two maps derived from one another share every
 * subtree neither changed, so {@link PMap.diff} visits only what differs.
 *
 * The compiler keeps the state of a flow at every step (each step's state
 * is the previous one plus what it writes) and compares states (what a step
 * wrote, the arms of a branch): with copied `Map`s both cost the size of the
 * state, which made loading a flow quadratic in its number of steps.
 *
 * @internal
 */

const BITS = 5
const MASK = (1 << BITS) - 1
/** Below this depth hashes are exhausted: the keys of a node are a collision list. */
const MAX_SHIFT = 30

interface Leaf<V> {
  readonly kind: "leaf"
  readonly hash: number
  readonly key: string
  readonly value: V
  /** When the key was first set (kept when it is set again): keys are listed in this order, as a `Map`'s. */
  readonly order: number
}

/** The order of the next key set for the first time. */
let nextOrder = 0

const byOrder = <V>(a: Leaf<V>, b: Leaf<V>): number => a.order - b.order

/** Keys of one hash (or of a node past the last level). */
interface Collision<V> {
  readonly kind: "collision"
  readonly hash: number
  readonly leaves: ReadonlyArray<Leaf<V>>
}

interface Branch<V> {
  readonly kind: "branch"
  readonly bitmap: number
  readonly children: ReadonlyArray<Trie<V>>
}

type Trie<V> = Leaf<V> | Collision<V> | Branch<V>

/** FNV-1a over the UTF-16 code units. */
const hashOf = (key: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

const popcount = (x: number): number => {
  x = x - ((x >>> 1) & 0x55555555)
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333)
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24
}

const fragment = (hash: number, shift: number): number => (hash >>> shift) & MASK

const get = <V>(trie: Trie<V> | undefined, hash: number, key: string, shift: number): Leaf<V> | undefined => {
  let node = trie
  let s = shift
  while (node !== undefined) {
    switch (node.kind) {
      case "leaf":
        return node.key === key ? node : undefined
      case "collision":
        return node.hash === hash ? node.leaves.find((l) => l.key === key) : undefined
      case "branch": {
        const bit = 1 << fragment(hash, s)
        if ((node.bitmap & bit) === 0) return undefined
        node = node.children[popcount(node.bitmap & (bit - 1))]
        s += BITS
      }
    }
  }
  return undefined
}

/** A node holding two leaves of different keys, from `shift` down. */
const pair = <V>(a: Leaf<V>, b: Leaf<V>, shift: number): Trie<V> => {
  if (a.hash === b.hash || shift > MAX_SHIFT) {
    return { kind: "collision", hash: a.hash, leaves: [a, b] }
  }
  const fa = fragment(a.hash, shift)
  const fb = fragment(b.hash, shift)
  if (fa === fb) return { kind: "branch", bitmap: 1 << fa, children: [pair(a, b, shift + BITS)] }
  return { kind: "branch", bitmap: (1 << fa) | (1 << fb), children: fa < fb ? [a, b] : [b, a] }
}

/** The trie with `leaf` set; `added` is told whether the key is new. */
const set = <V>(trie: Trie<V> | undefined, leaf: Leaf<V>, shift: number, added: { value: boolean }): Trie<V> => {
  if (trie === undefined) {
    added.value = true
    return leaf
  }
  switch (trie.kind) {
    case "leaf":
      if (trie.key === leaf.key) return leaf
      added.value = true
      return pair(trie, leaf, shift)
    case "collision": {
      if (trie.hash !== leaf.hash && shift <= MAX_SHIFT) {
        // a collision list met by another hash: put both under a branch
        const ft = fragment(trie.hash, shift)
        const fl = fragment(leaf.hash, shift)
        added.value = true
        if (ft === fl) return { kind: "branch", bitmap: 1 << ft, children: [set(trie, leaf, shift + BITS, added)] }
        return { kind: "branch", bitmap: (1 << ft) | (1 << fl), children: ft < fl ? [trie, leaf] : [leaf, trie] }
      }
      const i = trie.leaves.findIndex((l) => l.key === leaf.key)
      if (i < 0) {
        added.value = true
        return { kind: "collision", hash: trie.hash, leaves: [...trie.leaves, leaf] }
      }
      const leaves = trie.leaves.slice()
      leaves[i] = leaf
      return { kind: "collision", hash: trie.hash, leaves }
    }
    case "branch": {
      const bit = 1 << fragment(leaf.hash, shift)
      const index = popcount(trie.bitmap & (bit - 1))
      const children = trie.children.slice()
      if ((trie.bitmap & bit) === 0) {
        added.value = true
        children.splice(index, 0, leaf)
        return { kind: "branch", bitmap: trie.bitmap | bit, children }
      }
      children[index] = set(trie.children[index], leaf, shift + BITS, added)
      return { kind: "branch", bitmap: trie.bitmap, children }
    }
  }
}

/** The trie without `key`; `removed` is told whether it was there. */
const remove = <V>(trie: Trie<V> | undefined, hash: number, key: string, shift: number, removed: { value: boolean }): Trie<V> | undefined => {
  if (trie === undefined) return undefined
  switch (trie.kind) {
    case "leaf":
      if (trie.key !== key) return trie
      removed.value = true
      return undefined
    case "collision": {
      const leaves = trie.leaves.filter((l) => l.key !== key)
      if (leaves.length === trie.leaves.length) return trie
      removed.value = true
      return leaves.length === 1 ? leaves[0]! : { kind: "collision", hash: trie.hash, leaves }
    }
    case "branch": {
      const bit = 1 << fragment(hash, shift)
      if ((trie.bitmap & bit) === 0) return trie
      const index = popcount(trie.bitmap & (bit - 1))
      const child = remove(trie.children[index], hash, key, shift + BITS, removed)
      if (child === trie.children[index]) return trie
      const children = trie.children.slice()
      if (child === undefined) {
        children.splice(index, 1)
        const bitmap = trie.bitmap & ~bit
        if (children.length === 0) return undefined
        // a lone leaf goes up (a branch or collision stays: its keys share this fragment)
        if (children.length === 1 && children[0]!.kind === "leaf") return children[0]
        return { kind: "branch", bitmap, children }
      }
      children[index] = child
      return { kind: "branch", bitmap: trie.bitmap, children }
    }
  }
}

function* leaves<V>(trie: Trie<V> | undefined): Generator<Leaf<V>, undefined, undefined> {
  if (trie === undefined) return undefined
  switch (trie.kind) {
    case "leaf":
      yield trie
      return undefined
    case "collision":
      yield* trie.leaves
      return undefined
    case "branch":
      for (const child of trie.children) yield* leaves(child)
      return undefined
  }
}

/** Calls `visit` with every key whose value differs (by identity) between `a` and `b`, or that one lacks. */
const diff = <V>(a: Trie<V> | undefined, b: Trie<V> | undefined, shift: number, visit: (key: string) => void): void => {
  if (a === b) return
  if (a === undefined || b === undefined || a.kind !== "branch" || b.kind !== "branch") {
    // at least one side is small, or absent: compare leaf by leaf
    const seen = new Set<string>()
    for (const leaf of leaves(a)) {
      seen.add(leaf.key)
      const other = get(b, leaf.hash, leaf.key, shift)
      if (other === undefined || other.value !== leaf.value) visit(leaf.key)
    }
    for (const leaf of leaves(b)) if (!seen.has(leaf.key)) visit(leaf.key)
    return
  }
  const bits = a.bitmap | b.bitmap
  for (let f = 0; f <= MASK; f++) {
    const bit = 1 << f
    if ((bits & bit) === 0) continue
    const ca = (a.bitmap & bit) === 0 ? undefined : a.children[popcount(a.bitmap & (bit - 1))]
    const cb = (b.bitmap & bit) === 0 ? undefined : b.children[popcount(b.bitmap & (bit - 1))]
    diff(ca, cb, shift + BITS, visit)
  }
}

/** A persistent map from strings: every change gives a new map, sharing what it did not change. */
export class PMap<V> implements Iterable<readonly [string, V]> {
  private constructor(
    private readonly root: Trie<V> | undefined,
    /** The number of keys. */
    readonly size: number
  ) {}

  private static readonly emptyMap = new PMap<never>(undefined, 0)

  /** The empty map. */
  static empty<V>(): PMap<V> {
    return PMap.emptyMap
  }

  /** A map of some entries (the last of a key wins). */
  static from<V>(entries: Iterable<readonly [string, V]>): PMap<V> {
    let map = PMap.empty<V>()
    for (const [key, value] of entries) map = map.set(key, value)
    return map
  }

  get(key: string): V | undefined {
    return get(this.root, hashOf(key), key, 0)?.value
  }

  has(key: string): boolean {
    return get(this.root, hashOf(key), key, 0) !== undefined
  }

  /** The map with `key` set to `value` (this map when it already holds that very value). */
  set(key: string, value: V): PMap<V> {
    const hash = hashOf(key)
    const found = get(this.root, hash, key, 0)
    if (found !== undefined && found.value === value) return this
    const added = { value: false }
    const order = found === undefined ? nextOrder++ : found.order
    const root = set(this.root, { kind: "leaf", hash, key, value, order }, 0, added)
    return new PMap(root, added.value ? this.size + 1 : this.size)
  }

  /** The map without `key`. */
  delete(key: string): PMap<V> {
    const removed = { value: false }
    const root = remove(this.root, hashOf(key), key, 0, removed)
    return removed.value ? new PMap(root, this.size - 1) : this
  }

  /**
   * The keys whose value differs (by identity) from `other`'s, or that one
   * of the two lacks: in time proportional to the differences when one map
   * derives from the other, as the subtrees they share are skipped.
   */
  diff(other: PMap<V>): ReadonlyArray<string> {
    const found: Array<Leaf<V>> = []
    diff(this.root, other.root, 0, (key) => {
      const hash = hashOf(key)
      found.push(get(this.root, hash, key, 0) ?? get(other.root, hash, key, 0)!)
    })
    return found.sort(byOrder).map((leaf) => leaf.key)
  }

  /** The keys `after` (derived from this map) set to another value or added. */
  changedIn(after: PMap<V>): ReadonlyArray<string> {
    return this.diff(after).filter((key) => after.has(key))
  }

  /** The keys, in the order they were first set (as a `Map`'s); O(n log n). */
  keys(): Array<string> {
    return this.sorted().map((leaf) => leaf.key)
  }

  /** The entries, in the order their keys were first set (as a `Map`'s); O(n log n). */
  [Symbol.iterator](): Iterator<readonly [string, V]> {
    return this.sorted().map((leaf) => [leaf.key, leaf.value] as const)[Symbol.iterator]()
  }

  private sorted(): Array<Leaf<V>> {
    return Array.from(leaves(this.root)).sort(byOrder)
  }
}

/** A persistent set of strings. */
export class PSet implements Iterable<string> {
  private constructor(private readonly map: PMap<true>) {}

  private static readonly emptySet = new PSet(PMap.empty())

  /** The empty set. */
  static empty(): PSet {
    return PSet.emptySet
  }

  get size(): number {
    return this.map.size
  }

  has(key: string): boolean {
    return this.map.has(key)
  }

  add(key: string): PSet {
    const map = this.map.set(key, true)
    return map === this.map ? this : new PSet(map)
  }

  /** The union of some sets: in time proportional to how they differ from the first when they derive from it. */
  static union(sets: ReadonlyArray<PSet>): PSet {
    if (sets.length === 0) return PSet.empty()
    let map = sets[0]!.map
    for (const other of sets.slice(1)) {
      for (const key of map.diff(other.map)) if (other.map.has(key)) map = map.set(key, true)
    }
    return map === sets[0]!.map ? sets[0]! : new PSet(map)
  }

  [Symbol.iterator](): Iterator<string> {
    return this.map.keys()[Symbol.iterator]()
  }
}
