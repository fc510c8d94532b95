import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A Lua script run by its SHA1, sent in full only when Redis does not know it yet (first use, after a restart). */
export class RedisScript {
  readonly #source: string;
  readonly #sha: string;

  constructor(source: string) {
    this.#source = source;
    this.#sha = createHash('sha1').update(source).digest('hex');
  }

  /** Runs the script atomically with these keys and arguments. */
  async run(client: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await client.evalsha(this.#sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(this.#source, keys.length, ...keys, ...args);
    }
  }

  /**
   * Runs the script, then Redis `WAIT replicas timeoutMs` right behind it in one pipeline: on the same connection (WAIT
   * counts the replicas that hold this connection's writes) to the same node (an ioredis `Cluster` sends a pipeline to
   * the node of its keyed commands; WAIT has none). Rejects with the script's error; resolves its result and how many
   * replicas acknowledged the write within `timeoutMs`, 0 when WAIT itself failed (the write stands either way).
   */
  async runThenWait(client: Redis, keys: readonly string[], args: readonly (string | number)[], replicas: number, timeoutMs: number): Promise<{ result: unknown; acknowledged: number }> {
    let replies = await client.pipeline().evalsha(this.#sha, keys.length, ...keys, ...args).wait(replicas, timeoutMs).exec();
    if (replies?.[0]?.[0] instanceof Error && replies[0][0].message.startsWith('NOSCRIPT')) {
      replies = await client.pipeline().eval(this.#source, keys.length, ...keys, ...args).wait(replicas, timeoutMs).exec();
    }
    if (!replies) throw new Error('the Redis pipeline was aborted');
    const [[scriptError, result] = [], [waitError, acknowledged] = []] = replies;
    if (scriptError) throw scriptError;
    return { result, acknowledged: waitError ? 0 : Number(acknowledged) };
  }
}
