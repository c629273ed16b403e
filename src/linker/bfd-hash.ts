/**
 * The order in which GNU ld walks its global symbol table (bfd's hash table): bucket by bucket, each bucket
 * holding its names latest-inserted first. ld allocates COMMON symbols in that order, so their addresses depend
 * on it.
 */

/** bfd_hash_hash: bfd's string hash (32-bit), over the name's UTF-8 bytes. */
export function bfdStringHash(name: string): number {
  let hash = 0;
  // Symbol names are almost always ASCII: hash their char codes without encoding them first (one loop, no
  // closure or regular expression per name: the walk hashes every global of the link).
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c > 0x7f) return utf8Hash(name);
    hash = (hash + c + ((c << 17) >>> 0)) >>> 0;
    hash = (hash ^ (hash >>> 2)) >>> 0;
  }
  return finishHash(hash, name.length);
}

function utf8Hash(name: string): number {
  let hash = 0;
  const bytes = Buffer.from(name, 'utf8');
  for (const c of bytes) {
    hash = (hash + c + ((c << 17) >>> 0)) >>> 0;
    hash = (hash ^ (hash >>> 2)) >>> 0;
  }
  return finishHash(hash, bytes.length);
}

function finishHash(hash: number, length: number): number {
  hash = (hash + length + ((length << 17) >>> 0)) >>> 0;
  return (hash ^ (hash >>> 2)) >>> 0;
}

/** bfd's default table size and the primes it grows through (higher_prime_number). */
const INITIAL_SIZE = 4051;
const GROWTH_PRIMES = [4093, 8191, 16381, 32749, 65521, 131071, 262139, 524287, 1048573, 2097143, 4194301];
const END = -1;

/**
 * `names` in the order ld walks them, given the order ld inserted them: each insertion goes to the head of its
 * bucket, and when the table is more than three quarters full bfd moves every bucket's runs of equal hashes, head
 * first, onto the heads of a larger table's buckets (bfd_hash_insert). Buckets are chains through `next` (as
 * bfd's are), so an insertion or a move costs no copying.
 */
export function bfdTraversalOrder(names: string[]): string[] {
  const order = bfdTraversalIndices(names);
  const walked: string[] = new Array(order.length);
  for (let k = 0; k < order.length; k++) walked[k] = names[order[k]!]!;
  return walked;
}

/** bfdTraversalOrder as positions in `names` (so a caller walks its own list without looking names up). */
export function bfdTraversalIndices(names: string[]): Int32Array {
  const hashes = new Uint32Array(names.length);
  const next = new Int32Array(names.length);
  let size = INITIAL_SIZE;
  let heads = new Int32Array(size).fill(END);
  for (let entry = 0; entry < names.length; entry++) {
    const hash = bfdStringHash(names[entry]!);
    hashes[entry] = hash;
    next[entry] = heads[hash % size]!;
    heads[hash % size] = entry;
    if (entry + 1 <= Math.floor((size * 3) / 4)) continue;
    const grownSize = GROWTH_PRIMES.find((p) => p > size);
    if (grownSize === undefined) continue;
    const grown = new Int32Array(grownSize).fill(END);
    for (let bucket = 0; bucket < size; bucket++) {
      let first = heads[bucket]!;
      while (first !== END) {
        let last = first;
        while (next[last] !== END && hashes[next[last]!] === hashes[first]) last = next[last]!;
        const rest = next[last]!;
        const target = hashes[first]! % grownSize;
        next[last] = grown[target]!;
        grown[target] = first;
        first = rest;
      }
    }
    heads = grown;
    size = grownSize;
  }
  const order = new Int32Array(names.length);
  let k = 0;
  for (let bucket = 0; bucket < size; bucket++)
    for (let entry = heads[bucket]!; entry !== END; entry = next[entry]!) order[k++] = entry;
  return order;
}
