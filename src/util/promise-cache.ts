// Work done once per key (reading a manifest, unpacking a zip): callers asking at the same time
// share one promise; a failure is forgotten so the next caller tries again; at most `max` keys
// are kept, the oldest going first.
export function promiseCache<T>(max: number): (key: string, make: () => Promise<T>) => Promise<T> {
  const cache = new Map<string, Promise<T>>();
  return (key, make) => {
    let hit = cache.get(key);
    if (!hit) {
      hit = make();
      hit.catch(() => cache.delete(key));
      if (cache.size >= max) cache.delete(cache.keys().next().value as string);
      cache.set(key, hit);
    }
    return hit;
  };
}
