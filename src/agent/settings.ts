// What the admin page changes, kept in the agent's LevelDB: the master URL, a read token
// bound to the origin it was given for, and the known Wi-Fi networks. Secrets are stored
// sealed (secrets.ts). A token never follows the master URL to another origin: moving the
// master elsewhere drops it unless the admin enters one for the new master.
import type { Table } from "../store/index.js";
import type { KnownNetwork } from "./config.js";
import type { SecretBox } from "./secrets.js";

interface StoredNetwork {
  ssid: string;
  /** The WPA passphrase, sealed. */
  sealed?: string;
  /** A passphrase in clear, as stored before sealing: sealed when the settings are opened. */
  password?: string;
}

interface StoredSettings {
  masterUrl?: string;
  token?: { origin: string; sealed: string };
  knownNetworks?: StoredNetwork[];
  /** The hotspot's language when a phone asks for none it speaks (en, id, fr). */
  defaultLocale?: string;
}

/** What the config file, environment and flags said (they win nothing over the admin page). */
export interface ConfiguredSettings {
  masterUrl?: string;
  /** Belongs to `masterUrl`'s origin only. */
  token?: string;
  knownNetworks: KnownNetwork[];
}

const KEY = "admin";

export function originOf(url: string | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

export class AgentSettings {
  private constructor(
    private readonly table: Table<StoredSettings>,
    private readonly box: SecretBox,
    private readonly configured: ConfiguredSettings,
    private stored: StoredSettings,
    private readonly warn: (message: string) => void,
  ) {}

  static async open(
    table: Table<StoredSettings>,
    box: SecretBox,
    configured: ConfiguredSettings,
    warn: (message: string) => void = () => {},
  ): Promise<AgentSettings> {
    const stored = (await table.get(KEY)) ?? {};
    const settings = new AgentSettings(table, box, configured, stored, warn);
    const networks = stored.knownNetworks ?? [];
    if (networks.some((n) => n.password !== undefined))
      await settings.save({ ...stored, knownNetworks: networks.map((n) => settings.sealNetwork(n)) });
    return settings;
  }

  masterUrl(): string {
    return this.stored.masterUrl ?? this.configured.masterUrl ?? "";
  }

  /** The read token for the current master: one given for its origin, or none. */
  token(): string | undefined {
    const origin = originOf(this.masterUrl());
    if (!origin) return undefined;
    const t = this.stored.token;
    if (t?.origin === origin) return this.unseal(t.sealed, "the master's read token");
    if (this.configured.token && originOf(this.configured.masterUrl) === origin) return this.configured.token;
    return undefined;
  }

  /** Move to another master; `token` (optional) is bound to its origin. */
  async setMaster(url: string, token?: string): Promise<void> {
    const origin = originOf(url);
    if (!origin) throw new Error(`not a URL: ${url}`);
    const { token: old, ...rest } = this.stored;
    const kept = token ? { origin, sealed: this.box.seal(token) } : old?.origin === origin ? old : undefined;
    await this.save({ ...rest, masterUrl: url, ...(kept && { token: kept }) });
  }

  /** The configured networks and the admin's (the admin's win for the same SSID), passwords in clear. */
  knownNetworks(): KnownNetwork[] {
    const extra: KnownNetwork[] = [];
    for (const n of this.stored.knownNetworks ?? []) {
      if (n.sealed === undefined) {
        extra.push({ ssid: n.ssid });
        continue;
      }
      const password = this.unseal(n.sealed, `the password of Wi-Fi network ${JSON.stringify(n.ssid)}`);
      if (password !== undefined) extra.push({ ssid: n.ssid, password });
    }
    return [...this.configured.knownNetworks.filter((n) => !extra.some((e) => e.ssid === n.ssid)), ...extra];
  }

  async addNetwork(n: KnownNetwork): Promise<void> {
    const others = (this.stored.knownNetworks ?? []).filter((e) => e.ssid !== n.ssid);
    await this.save({ ...this.stored, knownNetworks: [...others, this.sealNetwork(n)] });
  }

  defaultLocale(): string | undefined {
    return this.stored.defaultLocale;
  }

  async setDefaultLocale(locale: string): Promise<void> {
    await this.save({ ...this.stored, defaultLocale: locale });
  }

  async removeNetwork(ssid: string): Promise<void> {
    const left = (this.stored.knownNetworks ?? []).filter((e) => e.ssid !== ssid);
    await this.save({ ...this.stored, knownNetworks: left });
  }

  private sealNetwork(n: StoredNetwork | KnownNetwork): StoredNetwork {
    if ("sealed" in n && n.sealed !== undefined) return { ssid: n.ssid, sealed: n.sealed };
    return n.password === undefined ? { ssid: n.ssid } : { ssid: n.ssid, sealed: this.box.seal(n.password) };
  }

  /** A secret that no longer opens (key file replaced) is left out, with a warning: never a crash. */
  private unseal(sealed: string, what: string): string | undefined {
    try {
      return this.box.unseal(sealed);
    } catch (err) {
      this.warn(`cannot read ${what} (${(err as Error).message}): enter it again on the admin page`);
      return undefined;
    }
  }

  private async save(next: StoredSettings): Promise<void> {
    this.stored = next;
    await this.table.put(KEY, next, true);
  }
}
