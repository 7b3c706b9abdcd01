/**
 * A connection's open streams by id.
 *
 * Not a Map: a Map that gains and loses an entry with every stream rebuilds its hash
 * table every few dozen streams, and each replaced table points at the next one (for
 * iterators) and still at the streams it held. Once a full collection has moved the
 * table to the old generation, that chain of replaced tables keeps every closed stream
 * (and the call listening to it) alive through young-generation collections until the
 * next full one. An object's number-keyed elements keep no such chain: a deleted id
 * lets go of its stream at once.
 */
export class StreamTable<T> {
  private byId: Record<number, T | undefined> = {};
  /** Streams in the table. */
  size = 0;

  get(id: number): T | undefined {
    return this.byId[id];
  }

  set(id: number, stream: T): void {
    if (this.byId[id] === undefined) this.size++;
    this.byId[id] = stream;
  }

  delete(id: number): void {
    if (this.byId[id] === undefined) return;
    delete this.byId[id];
    this.size--;
  }

  /** The streams, by ascending id: a copy, so each may close as it is visited. */
  values(): T[] {
    const streams: T[] = [];
    for (const id in this.byId) streams.push(this.byId[id]!);
    return streams;
  }
}
