/**
 * store/ — LevelDB-backed state (level): typed JSON tables for the catalog, versions, sync
 * jobs and piece progress. Writes that must survive a power cut pass `sync: true`. When
 * the database cannot open at all (a full disk), a store in memory keeps a process running.
 */
import { Level } from "level";
import { isNoSpace, releaseReserve } from "../util/space.js";

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json | undefined };

/** One write of an atomic batch (`Table.putOp` / `Table.delOp` make them). */
export type BatchOp = { type: "put"; key: string; value: string } | { type: "del"; key: string };

/** Where a store keeps its keys: LevelDB, or a map when LevelDB cannot open. */
interface Backend {
  get(key: string): Promise<string | undefined>;
  put(key: string, value: string, sync: boolean): Promise<void>;
  del(key: string, sync: boolean): Promise<void>;
  /** All of `ops` or none of them. */
  batch(ops: BatchOp[], sync: boolean): Promise<void>;
  /** Keys in (gt, lt), in order. */
  range(gt: string, lt: string): AsyncIterable<[string, string]>;
  close(): Promise<void>;
}

function levelBackend(db: Level<string, string>): Backend {
  return {
    // level >= 9 resolves undefined for a missing key (its types still say string).
    get: async (key) => (await db.get(key)) as string | undefined,
    put: (key, value, sync) => db.put(key, value, { sync }),
    del: (key, sync) => db.del(key, { sync }),
    batch: (ops, sync) => db.batch(ops, { sync }),
    range: (gt, lt) => db.iterator({ gt, lt }),
    close: () => db.close(),
  };
}

function memoryBackend(): Backend {
  const map = new Map<string, string>();
  return {
    get: async (key) => map.get(key),
    put: async (key, value) => void map.set(key, value),
    del: async (key) => void map.delete(key),
    batch: async (ops) => {
      for (const op of ops) op.type === "put" ? map.set(op.key, op.value) : map.delete(op.key);
    },
    async *range(gt, lt) {
      for (const key of [...map.keys()].filter((k) => k > gt && k < lt).sort()) yield [key, map.get(key)!];
    },
    close: async () => {},
  };
}

/** One named table of JSON values inside the database. */
export class Table<T> {
  constructor(
    private readonly db: Backend,
    private readonly prefix: string,
  ) {}

  private key(k: string): string {
    return `${this.prefix}\x00${k}`;
  }

  async get(k: string): Promise<T | undefined> {
    const v = await this.db.get(this.key(k));
    return v === undefined ? undefined : (JSON.parse(v) as T);
  }

  /** `durable`: fsync before resolving — for progress that a power cut must not undo. */
  async put(k: string, v: T, durable = false): Promise<void> {
    await this.db.put(this.key(k), JSON.stringify(v), durable);
  }

  async del(k: string, durable = false): Promise<void> {
    await this.db.del(this.key(k), durable);
  }

  /** A put for `Store.write`: written together with the other ops of its batch. */
  putOp(k: string, v: T): BatchOp {
    return { type: "put", key: this.key(k), value: JSON.stringify(v) };
  }

  delOp(k: string): BatchOp {
    return { type: "del", key: this.key(k) };
  }

  async entries(): Promise<Array<[string, T]>> {
    const out: Array<[string, T]> = [];
    for await (const entry of this.between()) out.push(entry);
    return out;
  }

  /**
   * Entries with keys strictly between `after` and `before` (the whole table without them),
   * in key order, read as they are consumed: a large table is never held in memory.
   */
  async *between(after?: string, before?: string): AsyncGenerator<[string, T]> {
    const start = `${this.prefix}\x00`;
    const gt = after === undefined ? start : this.key(after);
    const lt = before === undefined ? `${this.prefix}\x01` : this.key(before);
    for await (const [k, v] of this.db.range(gt, lt)) yield [k.slice(start.length), JSON.parse(v) as T];
  }
}

export class Store {
  private constructor(
    private readonly db: Backend,
    /** False for a store in memory: nothing written to it survives the process. */
    readonly persistent: boolean,
  ) {}

  /**
   * Open (or create) the database in `dir`. With `reserve`, a disk too full for LevelDB to
   * open costs the space reserve of that data dir, not the start: the reserve is deleted
   * and the open tried once more.
   */
  static async open(
    dir: string,
    reserve?: { dataDir: string; onRelease?: (bytes: number) => void },
  ): Promise<Store> {
    try {
      return await Store.openOnce(dir);
    } catch (e) {
      if (!reserve || !isNoSpace(e)) throw e;
      const freed = await releaseReserve(reserve.dataDir);
      if (freed === 0) throw e;
      reserve.onRelease?.(freed);
      return Store.openOnce(dir);
    }
  }

  /** A store that lives in memory only: for running on when the database cannot open. */
  static inMemory(): Store {
    return new Store(memoryBackend(), false);
  }

  private static async openOnce(dir: string): Promise<Store> {
    const db = new Level<string, string>(dir, { valueEncoding: "utf8" });
    try {
      await db.open();
    } catch (e) {
      const cause = (e as { cause?: Error }).cause;
      throw new Error(`cannot open the state database in ${dir}: ${cause?.message ?? (e as Error).message}`, {
        cause: e,
      });
    }
    return new Store(levelBackend(db), true);
  }

  table<T>(name: string): Table<T> {
    return new Table<T>(this.db, name);
  }

  /** Write ops of any tables at once: after a crash, all of them are there or none. */
  write(ops: BatchOp[], durable = false): Promise<void> {
    return this.db.batch(ops, durable);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
