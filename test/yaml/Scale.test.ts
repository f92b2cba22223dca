/**
 * Loading grows linearly with the number of steps: counted in operations
 * (the writes into `Map`s and `Set`s a load makes), never timed here — the
 * times are `bench/yamlLoad.ts`'s. And the persistent map the compiler keeps
 * the state in behaves as a `Map` does.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Schema } from "effect"
import fc from "fast-check"
import { Step } from "weftjs"
import { Yaml } from "weftjs/yaml"
import { PMap, PSet } from "../../src/yaml/internal/persistent.js"

/** A registry of `n` steps, step i reading `k<i>` and writing `k<i+1>`. */
const registryOf = (n: number): Yaml.Registry => {
  const steps: Record<string, Step.Step.Any> = {}
  for (let i = 0; i < n; i++) {
    const from = `k${i}`
    const to = `k${i + 1}`
    steps[`step_${i}`] = Step.make({
      name: `step_${i}`,
      requires: { [from]: Schema.Number },
      provides: { [to]: Schema.Number },
      run: (input: Record<string, number>) => Effect.succeed({ [to]: (input[from] ?? 0) + 1 })
    }) as unknown as Step.Step.Any
  }
  return { steps }
}

/** `n` chained steps: a `with:` reference every other step, a branch every tenth (as `bench/yamlFixtures.ts`). */
const flowOf = (n: number): string => {
  const lines = ["name: chain", "version: \"1\"", "inputs:", "  k0: number", "steps:"]
  for (let i = 0; i < n; i++) {
    if (i % 10 === 9) {
      lines.push(
        `  - id: b${i}`,
        "    branch:",
        `      if: k${i} > 0`,
        "      then:",
        `        - use: step_${i}`,
        "      else:",
        `        - { id: other_${i}, use: step_${i}, with: { k${i}: 0 } }`
      )
    } else if (i % 2 === 1) {
      lines.push(`  - use: step_${i}`, `    with: { k${i}: "\${steps.step_${i - 1}.k${i}}" }`)
    } else {
      lines.push(`  - use: step_${i}`)
    }
  }
  return `${lines.join("\n")}\n`
}

/** The writes into Maps and Sets (copies included: a `new Map(m)` adds each entry) that `f` makes. */
const writesOf = (f: () => void): number => {
  const mapSet = Map.prototype.set
  const setAdd = Set.prototype.add
  let count = 0
  Map.prototype.set = function(this: Map<unknown, unknown>, key: unknown, value: unknown) {
    count++
    return mapSet.call(this, key, value)
  }
  Set.prototype.add = function(this: Set<unknown>, value: unknown) {
    count++
    return setAdd.call(this, value)
  }
  try {
    f()
  } finally {
    Map.prototype.set = mapSet
    Set.prototype.add = setAdd
  }
  return count
}

const loads = (n: number) => {
  const source = flowOf(n)
  const registry = registryOf(n)
  return () => {
    const result = Effect.runSync(Effect.either(Yaml.load(source, { file: "chain.yaml", registry })))
    if (Either.isLeft(result)) throw new Error(result.left.message)
  }
}

describe("loading is linear in the number of steps", () => {
  it("four times the steps, about four times the work (it was sixteen: the state was copied at every step)", () => {
    loads(20)() // warm-up: what is made once (caches) is not counted
    const small = writesOf(loads(400))
    const large = writesOf(loads(1600))
    const ratio = large / small
    expect(ratio, `${small} writes for 400 steps, ${large} for 1,600`).toBeGreaterThan(3)
    expect(ratio, `${small} writes for 400 steps, ${large} for 1,600`).toBeLessThan(5)
  })
})

type Op =
  | { readonly _tag: "set"; readonly key: string; readonly value: number }
  | { readonly _tag: "delete"; readonly key: string }

const key = fc.constantFrom("a", "b", "c", "constructor", "__proto__", "toString", "k1", "k2", "Aa", "BB")
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ _tag: fc.constant("set" as const), key: fc.oneof(key, fc.string()), value: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ _tag: fc.constant("delete" as const), key })
)

const apply = (ops: ReadonlyArray<Op>, map: PMap<number>, model: Map<string, number>): PMap<number> => {
  let current = map
  for (const o of ops) {
    if (o._tag === "set") {
      current = current.set(o.key, o.value)
      model.set(o.key, o.value)
    } else {
      current = current.delete(o.key)
      model.delete(o.key)
    }
  }
  return current
}

describe("the persistent map behaves as a Map", () => {
  it("property: get, has, size, and the keys in the order they were first set", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const model = new Map<string, number>()
        const map = apply(ops, PMap.empty(), model)
        expect(map.size).toBe(model.size)
        expect(map.keys()).toEqual(Array.from(model.keys()))
        expect(Array.from(map)).toEqual(Array.from(model))
        for (const o of ops) {
          expect(map.get(o.key)).toBe(model.get(o.key))
          expect(map.has(o.key)).toBe(model.has(o.key))
        }
      })
    )
  })

  it("property: a map derived from another differs from it exactly where it was changed, and the first is unchanged", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 100 }), fc.array(op, { maxLength: 30 }), (first, then) => {
        const model = new Map<string, number>()
        const before = apply(first, PMap.empty(), model)
        const snapshot = new Map(model)
        const after = apply(then, before, model)
        const expected = new Set([...snapshot.keys(), ...model.keys()].filter((k) => snapshot.get(k) !== model.get(k) || snapshot.has(k) !== model.has(k)))
        expect(new Set(before.diff(after))).toEqual(expected)
        expect(new Set(after.diff(before))).toEqual(expected)
        expect(new Set(before.changedIn(after))).toEqual(new Set([...expected].filter((k) => model.has(k))))
        expect(Array.from(before)).toEqual(Array.from(snapshot))
      })
    )
  })

  it("many keys (past one level of the trie), and keys whose hashes collide", () => {
    let map = PMap.empty<number>()
    for (let i = 0; i < 5000; i++) map = map.set(`key${i}`, i)
    expect(map.size).toBe(5000)
    expect(map.get("key4321")).toBe(4321)
    const changed = map.set("key17", -1).delete("key99").set("new", 0)
    expect(new Set(map.diff(changed))).toEqual(new Set(["key17", "key99", "new"]))
    // "Aa" and "BB" collide under many string hashes; under any, the map keeps both
    const both = PMap.empty<number>().set("Aa", 1).set("BB", 2)
    expect([both.get("Aa"), both.get("BB"), both.delete("Aa").get("BB"), both.delete("Aa").size]).toEqual([1, 2, 2, 1])
  })

  it("sets: union of sets derived from one", () => {
    const base = PSet.empty().add("a").add("b")
    const union = PSet.union([base.add("c"), base.add("d"), base])
    expect(Array.from(union).sort()).toEqual(["a", "b", "c", "d"])
    expect(union.has("c") && union.has("d") && !base.has("c")).toBe(true)
  })
})
