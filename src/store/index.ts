/**
 * store/ — LevelDB-backed state (level): typed JSON tables for the catalog, versions, sync
 * jobs and piece progress. Writes that must survive a power cut pass `sync: true`.
 */
import { Level } from "level";
import { isNoSpace, releaseReserve } from "../util/space.js";

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json | undefined };

/** One named table of JSON values inside the database. */
export class Table<T> {
  constructor(
    private readonly db: Level<string, string>,
    private readonly prefix: string,
  ) {}

  private key(k: string): string {
    return `${this.prefix}\x00${k}`;
  }

  async get(k: string): Promise<T | undefined> {
    // level >= 9 resolves undefined for a missing key (its types still say string).
    const v = (await this.db.get(this.key(k))) as string | undefined;
    return v === undefined ? undefined : (JSON.parse(v) as T);
  }

  /** `durable`: fsync before resolving — for progress that a power cut must not undo. */
  async put(k: string, v: T, durable = false): Promise<void> {
    await this.db.put(this.key(k), JSON.stringify(v), { sync: durable });
  }

  async del(k: string, durable = false): Promise<void> {
    await this.db.del(this.key(k), { sync: durable });
  }

  async entries(): Promise<Array<[string, T]>> {
    const out: Array<[string, T]> = [];
    const start = `${this.prefix}\x00`;
    for await (const [k, v] of this.db.iterator({ gt: start, lt: `${this.prefix}\x01` })) {
      out.push([k.slice(start.length), JSON.parse(v) as T]);
    }
    return out;
  }
}

export class Store {
  private constructor(readonly db: Level<string, string>) {}

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
    return new Store(db);
  }

  table<T>(name: string): Table<T> {
    return new Table<T>(this.db, name);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
