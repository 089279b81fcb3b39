/**
 * Sticky canary assignment: a routing key always lands in the same bucket of 10,000, so for a
 * given weight the same key always gets the same version, and raising the weight only moves keys
 * from live to candidate (bucket < weight * 100 goes to the candidate).
 */
import { createHash } from 'node:crypto';

export const BUCKETS = 10_000;

/** Bucket of (model, key) in [0, BUCKETS): the first 8 bytes of sha256(model \0 key), mod BUCKETS. */
export function bucketOf(model: string, key: string): number {
  const h = createHash('sha256').update(model).update('\0').update(key).digest();
  // 2^64 mod 10^4 bias is ~5e-16: immaterial.
  return Number(h.readBigUInt64BE(0) % BigInt(BUCKETS));
}

/**
 * Whether a request goes to the candidate at `weightPercent`. With a routing key the answer is
 * sticky; without one each request is assigned independently with probability weight/100.
 */
export function goesToCandidate(model: string, key: string, weightPercent: number, random: () => number = Math.random): boolean {
  if (weightPercent <= 0) return false;
  if (weightPercent >= 100) return true;
  const bucket = key ? bucketOf(model, key) : Math.floor(random() * BUCKETS);
  return bucket < Math.round(weightPercent * (BUCKETS / 100));
}
