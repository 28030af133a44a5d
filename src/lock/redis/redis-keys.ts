/**
 * The names the Redis locker uses, all under one prefix (default `resumable-gateway:`), so that several
 * deployments can share a Redis and an operator can find them:
 *
 * | name | type | what |
 * | --- | --- | --- |
 * | `<prefix>lock:<id>` | hash `token`, `fence` | the lock of upload `<id>`; its expiry is the holder's lease |
 * | `<prefix>line:<id>` | sorted set | tokens waiting for it, by arrival |
 * | `<prefix>waiters:<id>` | hash | token -> `<expires ms>:<r\|p>`: each waiter's own lease, and whether it asks holders to release |
 * | `<prefix>counter` | string | numbers fences and arrivals, for every id |
 * | `<prefix>started` | string | when this Redis started (ms), noted by the first request after it lost its data; no grant within a lease of it |
 * | `<prefix>expired` | sorted set | ids of uploads removed because they expired (410 rather than 404), the newest 10,000 |
 * | `<prefix>node:<node>` (channel) | pub/sub | messages to one gateway: release and stop requests for its holders, grants for its waiters |
 *
 * A token is `<node>.<n>`: the node (one per locker, random) says where to send a request for its holder.
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  lock(id: string): string {
    return `${this.prefix}lock:${id}`
  }

  line(id: string): string {
    return `${this.prefix}line:${id}`
  }

  waiters(id: string): string {
    return `${this.prefix}waiters:${id}`
  }

  get counter(): string {
    return `${this.prefix}counter`
  }

  get started(): string {
    return `${this.prefix}started`
  }

  get expired(): string {
    return `${this.prefix}expired`
  }

  node(node: string): string {
    return `${this.prefix}node:${node}`
  }

  /** The keys of an id's scripts, in the order the scripts name them (lock, line, waiters, counter, started). */
  ofId(id: string): string[] {
    return [this.lock(id), this.line(id), this.waiters(id), this.counter, this.started]
  }
}

/** The node a token belongs to. */
export function nodeOf(token: string): string {
  return token.slice(0, token.indexOf('.'))
}
