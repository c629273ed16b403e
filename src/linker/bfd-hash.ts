/**
 * The order in which GNU ld walks its global symbol table (bfd's hash table): bucket by bucket, each bucket
 * holding its names latest-inserted first. ld allocates COMMON symbols in that order, so their addresses depend
 * on it.
 */

/** bfd_hash_hash: bfd's string hash (32-bit). */
export function bfdStringHash(name: string): number {
  let hash = 0;
  const bytes = Buffer.from(name, 'utf8');
  for (const c of bytes) {
    hash = (hash + c + ((c << 17) >>> 0)) >>> 0;
    hash = (hash ^ (hash >>> 2)) >>> 0;
  }
  const length = bytes.length;
  hash = (hash + length + ((length << 17) >>> 0)) >>> 0;
  return (hash ^ (hash >>> 2)) >>> 0;
}

/** bfd's default table size and the primes it grows through (higher_prime_number). */
const INITIAL_SIZE = 4051;
const GROWTH_PRIMES = [4093, 8191, 16381, 32749, 65521, 131071, 262139, 524287, 1048573, 2097143, 4194301];

/**
 * `names` in the order ld walks them, given the order ld inserted them: each insertion goes to the head of its
 * bucket, and when the table is more than three quarters full bfd moves every bucket's runs of equal hashes, head
 * first, onto the heads of a larger table's buckets (bfd_hash_insert).
 */
export function bfdTraversalOrder(names: string[]): string[] {
  let size = INITIAL_SIZE;
  let buckets: Array<Array<{ name: string; hash: number }>> = Array.from({ length: size }, () => []);
  let count = 0;
  for (const name of names) {
    const hash = bfdStringHash(name);
    buckets[hash % size]!.unshift({ name, hash });
    count++;
    const next = GROWTH_PRIMES.find((p) => p > size);
    if (count <= Math.floor((size * 3) / 4) || next === undefined) continue;
    const grown: typeof buckets = Array.from({ length: next }, () => []);
    for (const bucket of buckets)
      while (bucket.length > 0) {
        let run = 1;
        while (run < bucket.length && bucket[run]!.hash === bucket[0]!.hash) run++;
        const chain = bucket.splice(0, run);
        const target = grown[chain[0]!.hash % next]!;
        target.unshift(...chain);
      }
    buckets = grown;
    size = next;
  }
  return buckets.flat().map((entry) => entry.name);
}
