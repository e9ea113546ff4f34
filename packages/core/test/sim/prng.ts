/**
 * The simulation's one source of randomness: a seeded PRNG (mulberry32), so that a seed replays the same
 * fleet, faults and timings exactly. Nothing in the simulation may call Math.random.
 */
export interface Prng {
  /** In [0, 1). */
  next(): number
  /** An integer in [min, max]. */
  int(min: number, max: number): number
  /** True with probability `p`. */
  chance(p: number): boolean
  /** A new generator seeded from this one: a member's own stream, so adding a member elsewhere changes nothing here. */
  fork(): Prng
}

export function createPrng(seed: number): Prng {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    fork: () => createPrng(Math.floor(next() * 4_294_967_296)),
  }
}
