// The hotspot's NetworkManager profile, switched off and on around a sync when the Pi has
// one radio ("switch" mode in /run/handcarry-wifi.env): the radio cannot be an access point
// and a client at once, so it leaves the phones for the length of a sync and comes back.
// A thin nmcli adapter with a simulated twin, like the rest of device/.
import { execFile } from "node:child_process";

export interface HotspotControl {
  readonly kind: "nmcli" | "simulated";
  up(): Promise<void>;
  down(): Promise<void>;
}

export class NmcliHotspot implements HotspotControl {
  readonly kind = "nmcli";
  constructor(
    private readonly profile = "handcarry-hotspot",
    private readonly nmcli = "nmcli",
    private readonly timeoutSec = 30,
  ) {}

  private run(args: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      execFile(
        this.nmcli,
        args,
        { env: { ...process.env, LC_ALL: "C.UTF-8" }, timeout: (this.timeoutSec + 15) * 1000 },
        (err, _stdout, stderr) => {
          if (!err) return resolve();
          reject(
            new Error(`nmcli ${args.slice(-2).join(" ")} failed: ${String(stderr).trim() || err.message}`),
          );
        },
      );
    });
  }

  up(): Promise<void> {
    return this.run(["--wait", String(this.timeoutSec), "connection", "up", "id", this.profile]);
  }

  async down(): Promise<void> {
    // Already down is fine: nmcli reports "not an active connection".
    await this.run(["connection", "down", "id", this.profile]).catch((err: Error) => {
      if (!/not an active connection|no active connection/i.test(err.message)) throw err;
    });
  }
}

/** Twin: records what the agent asked, for tests and the demo. */
export class SimulatedHotspot implements HotspotControl {
  readonly kind = "simulated";
  active = true;
  readonly events: ("up" | "down")[] = [];
  /** Called after each change (tests use it to make a route appear with the client link). */
  onChange?: (active: boolean) => void | Promise<void>;

  async up(): Promise<void> {
    this.active = true;
    this.events.push("up");
    await this.onChange?.(true);
  }

  async down(): Promise<void> {
    this.active = false;
    this.events.push("down");
    await this.onChange?.(false);
  }
}
