/** ioredis's sharded subscribers of a Cluster client: per slot, the channels it subscribes again after a topology change (private in its types). */
interface ShardedSubscriberGroup {
  channels?: unknown;
}

/**
 * Leaves each channel once in the list of sharded channels ioredis keeps for a Cluster subscriber. ioredis appends to it on
 * every SSUBSCRIBE, of a channel already there too, so the catch-up's confirming SSUBSCRIBE of each watched room would add
 * another copy per catch-up for as long as the room lives. An SUNSUBSCRIBE takes out every copy, and a resubscription
 * of the list subscribes each channel once either way, so the list behaves the same without its repeats. A client
 * without that list (another ioredis version, a single Redis) is left alone.
 */
export function dropRepeatedShardedChannels(subscriber: object): void {
  const { channels } = (subscriber as { shardedSubscribers?: ShardedSubscriberGroup }).shardedSubscribers ?? {};
  if (!(channels instanceof Map)) return;
  for (const [slot, listed] of channels as Map<unknown, unknown>) {
    if (!Array.isArray(listed)) continue;
    const once = new Set<unknown>(listed);
    if (once.size < listed.length) channels.set(slot, [...once]);
  }
}
