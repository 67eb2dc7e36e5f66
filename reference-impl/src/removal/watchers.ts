/** Change listeners per request id: the bookkeeping behind `RequestStore.watch`, shared by both backends. */
export class Watchers {
  private readonly byId = new Map<string, Set<() => void>>();

  /** Registers `onChange` for `id`; returns its removal (idempotent). */
  add(id: string, onChange: () => void): () => void {
    let set = this.byId.get(id);
    if (!set) this.byId.set(id, (set = new Set()));
    const listener = () => onChange(); // a fresh function, so one callback may be added twice
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.byId.get(id) === set) this.byId.delete(id);
    };
  }

  /** Calls every listener of `id`. */
  notify(id: string): void {
    for (const listener of this.byId.get(id) ?? []) listener();
  }

  /** Listeners registered now (tests check that closed streams leave none). */
  get size(): number {
    let n = 0;
    for (const set of this.byId.values()) n += set.size;
    return n;
  }
}
