// Small async-iterator helpers for subscription resolvers.

/** Yields the items of `source` that pass `keep`; return() reaches the source. */
export function filterIterator<T>(source: AsyncIterableIterator<T>, keep: (item: T) => boolean): AsyncIterableIterator<T> {
  const it: AsyncIterableIterator<T> = {
    async next() {
      for (;;) {
        const r = await source.next();
        if (r.done || keep(r.value)) return r;
      }
    },
    return(value?: unknown) {
      return source.return ? source.return(value) : Promise.resolve({ value: undefined, done: true });
    },
    throw(err?: unknown) {
      return source.throw ? source.throw(err) : Promise.reject(err);
    },
    [Symbol.asyncIterator]() {
      return it;
    },
  };
  return it;
}
