/** What a queue entry must tell: whether it wants the holder asked to release. */
export interface QueueEntry {
  readonly requestRelease: boolean
}

/** An entry's place in a `WaitQueue`, handed back by `push` so that the entry can leave early in O(1). */
export interface QueuePlace<T> {
  readonly entry: T
}

interface Node<T> extends QueuePlace<T> {
  previous: Node<T> | undefined
  next: Node<T> | undefined
}

/**
 * The FIFO queue of requests waiting for one lock: a doubly linked list, so that a waiter whose request
 * is gone leaves in O(1) wherever it stands (an array with `indexOf` + `splice` made a rapid-reset
 * attack on one upload quadratic: issue 10, item 1). It counts the entries that want the holder asked
 * to release, so a new holder learns in O(1) whether anyone behind it is in a hurry.
 */
export class WaitQueue<T extends QueueEntry> {
  #first: Node<T> | undefined
  #last: Node<T> | undefined
  #size = 0
  #askers = 0

  /** How many entries wait. */
  get size(): number {
    return this.#size
  }

  /** How many waiting entries want the holder asked to release. */
  get askers(): number {
    return this.#askers
  }

  /** Adds `entry` at the end; its place lets it leave early with `remove`. */
  push(entry: T): QueuePlace<T> {
    const node: Node<T> = { entry, previous: this.#last, next: undefined }
    if (this.#last === undefined) this.#first = node
    else this.#last.next = node
    this.#last = node
    this.#count(entry, 1)
    return node
  }

  /** Takes the first entry out, or returns undefined when none waits. */
  shift(): T | undefined {
    const node = this.#first
    if (node === undefined) return undefined
    this.#unlink(node)
    return node.entry
  }

  /** Takes an entry out wherever it stands, given the place `push` returned; a no-op when it is gone already. */
  remove(place: QueuePlace<T>): void {
    const node = place as Node<T>
    // Only the first node has no predecessor: any other node without one has left already.
    if (node.previous === undefined && this.#first !== node) return
    this.#unlink(node)
  }

  #unlink(node: Node<T>): void {
    if (node.previous === undefined) this.#first = node.next
    else node.previous.next = node.next
    if (node.next === undefined) this.#last = node.previous
    else node.next.previous = node.previous
    node.previous = undefined
    node.next = undefined
    this.#count(node.entry, -1)
  }

  #count(entry: T, delta: 1 | -1): void {
    this.#size += delta
    if (entry.requestRelease) this.#askers += delta
  }
}
