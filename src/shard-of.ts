/** A service's shard: FNV-1a over the UTF-16 code units, stable across processes and releases (queue shards and miner threads both use it). */
export function shardOf(service: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < service.length; i++) hash = Math.imul(hash ^ service.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % shards;
}
