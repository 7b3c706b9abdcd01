/**
 * The streams of a connection with something to send (DATA, trailers or END_STREAM),
 * in the order they became ready: a doubly linked list through the streams.
 *
 * Not a Set: a Set that gains and loses a stream with every call replaces its hash
 * table as it grows and shrinks, and a replaced table still points at the streams it
 * held. Once the Set lives in the old generation, those tables keep finished streams
 * (and the calls listening to them) alive through young-generation collections, so
 * each call's objects were promoted and freed only by full collections. A list
 * unlinks a stream and forgets it at once.
 */

/** The links a stream carries while it is ready; `ready` says whether it is in the list. */
export interface ReadyLinks<T> {
  ready: boolean;
  previousReady: T | undefined;
  nextReady: T | undefined;
}

export class ReadyStreams<T extends ReadyLinks<T>> {
  /** The first stream to serve; walk on with `nextReady`. */
  first: T | undefined;
  private last: T | undefined;
  /** Streams in the list. */
  size = 0;

  /** Appends `stream`, unless it is in the list already. */
  add(stream: T): void {
    if (stream.ready) return;
    stream.ready = true;
    stream.previousReady = this.last;
    stream.nextReady = undefined;
    if (this.last === undefined) this.first = stream;
    else this.last.nextReady = stream;
    this.last = stream;
    this.size++;
  }

  /** Unlinks `stream`; one not in the list is left alone. */
  delete(stream: T): void {
    if (!stream.ready) return;
    const previous = stream.previousReady;
    const next = stream.nextReady;
    if (previous === undefined) this.first = next;
    else previous.nextReady = next;
    if (next === undefined) this.last = previous;
    else next.previousReady = previous;
    stream.ready = false;
    stream.previousReady = undefined;
    stream.nextReady = undefined;
    this.size--;
  }
}
