// Switch mode (one radio for the hotspot and the uplink): to sync, the agent leaves the
// phones, joins the strongest known network, runs the cycle, and brings the hotspot back
// whatever happens. Its routine look for a network never cuts a phone off.
import type { HotspotControl } from "../device/hotspot.js";
import type { Device } from "../device/index.js";
import type { KnownNetwork } from "./config.js";
import type { ConnectivityMonitor } from "./connectivity.js";
import type { AgentLogger } from "./log.js";
import type { Transitions } from "./transitions.js";

export interface SwitchModeOptions {
  hotspot: HotspotControl;
  device: Pick<Device, "wifi" | "probes">;
  connectivity: ConnectivityMonitor;
  transitions: Transitions;
  knownNetworks(): readonly KnownNetwork[];
  /** How long to wait for the joined network to carry traffic. */
  joinWaitSec: number;
  log: AgentLogger;
  isClosed(): boolean;
}

export class SwitchModeWifi {
  constructor(private readonly o: SwitchModeOptions) {}

  /** Whether a cycle should go over the radio: offline with a known network to try. */
  wanted(online: boolean): boolean {
    return !online && this.o.knownNetworks().length > 0;
  }

  /** Nobody is on the hotspot (or nobody can tell): a routine look may take it down. */
  async hotspotIdle(): Promise<boolean> {
    const clients = await this.o.device.probes.hotspotClients().catch(() => null);
    return !(clients && clients.length > 0);
  }

  /**
   * Take the hotspot down, join a known network and run `body` on it; `force`: run it even if
   * no network was joined (the button or the admin asked; a cable may be plugged in).
   */
  async over(reason: string, force: boolean, body: () => Promise<void>): Promise<void> {
    const { hotspot, device, connectivity, transitions, log } = this.o;
    log.info({ reason }, "switch mode: hotspot down to look for a known network");
    let joined: string | null = null;
    try {
      await hotspot.down();
      joined = await connectivity.joinKnown(device.wifi, this.o.knownNetworks());
      if (joined) {
        await transitions.networkSeen();
        await this.waitOnline();
      }
      if (joined || force) await body();
      else log.info({}, "switch mode: no known network in range");
    } finally {
      if (joined)
        await device.wifi
          .disconnect()
          .catch((err: Error) => log.warn({ err: err.message }, "Wi-Fi disconnect failed"));
      await hotspot
        .up()
        .catch((err: Error) => log.error({ err: err.message }, "could not bring the hotspot back"));
      await transitions.networkGone();
    }
  }

  private async waitOnline(): Promise<void> {
    const { connectivity } = this.o;
    const end = Date.now() + this.o.joinWaitSec * 1000;
    while (!connectivity.online && Date.now() < end && !this.o.isClosed()) {
      await connectivity.check();
      if (!connectivity.online) await new Promise((r) => setTimeout(r, 500));
    }
  }
}
