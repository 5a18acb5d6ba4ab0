// The master's read token stays with the master it was given for, against a real agent and a
// real master on loopback: an admin moving the master URL elsewhere does not send the token
// there unless one is entered for the new master; URLs with a user name or password are
// refused; the master URL and error details are shown to the logged-in admin only.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningAgent, startAgent } from "../../src/agent/agent.js";
import { AgentConfigError, parseAgentConfig } from "../../src/agent/config.js";
import type { Device } from "../../src/device/index.js";
import { startMaster } from "../../src/master/server.js";
import { adminLogin, postForm } from "../hotspot/helpers.js";
import { agentConfig, FakeLink, simulatedDevice, tempDir } from "./helpers.js";

const READ_TOKEN = "read-secret-for-the-real-master";
let dir: Awaited<ReturnType<typeof tempDir>>;
let master: Awaited<ReturnType<typeof startMaster>>;
let other: Server;
let otherUrl: string;
/** Authorization headers the other server received, one per request ("" when none). */
const seen: string[] = [];
let agent: RunningAgent;
let device: Device;

beforeAll(async () => {
  dir = await tempDir("hc-token-");
  master = await startMaster({
    dataDir: join(dir.path, "master"),
    host: "127.0.0.1",
    port: 0,
    publishToken: "publish-secret",
    readToken: READ_TOKEN,
  });
  other = createServer((req, res) => {
    seen.push(req.headers.authorization ?? "");
    res.writeHead(503).end();
  });
  await new Promise<void>((r) => other.listen(0, "127.0.0.1", r));
  otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
  device = await simulatedDevice(await FakeLink.create(join(dir.path, "link")), dir.path);
  agent = await startAgent({
    config: agentConfig({ dataDir: join(dir.path, "agent"), masterUrl: master.url, token: READ_TOKEN }),
    device,
    manualConnectivity: true,
  });
});
afterAll(async () => {
  await agent?.close();
  device?.close();
  await master?.close();
  await new Promise((r) => other?.close(r));
  await dir?.remove();
});

const admin = () => adminLogin(agent.url, "correct horse battery");

describe("read token bound to its master", () => {
  it("is not sent to a new master URL unless entered for it, and comes back with the old one", async () => {
    await agent.syncNow("with the real master");
    expect(agent.machine.name).toBe("serving");
    const { cookie, csrf } = await admin();

    const moved = await fetch(`${agent.url}/admin/master`, postForm({ csrf, masterUrl: otherUrl }, cookie));
    expect(moved.status).toBe(302);
    await agent.syncNow("with the other server");
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((h) => h === "")).toBe(true);

    const panel = await (await fetch(`${agent.url}/admin`, { headers: { cookie } })).text();
    expect(panel).toContain("none for this master");
    await fetch(
      `${agent.url}/admin/master`,
      postForm({ csrf, masterUrl: otherUrl, token: "other-token" }, cookie),
    );
    seen.length = 0;
    await agent.syncNow("with a token for the other server");
    expect(seen).toContain("Bearer other-token");
    expect(seen.join()).not.toContain(READ_TOKEN);

    // Back to the configured master: its own token again, not the other one's.
    await fetch(`${agent.url}/admin/master`, postForm({ csrf, masterUrl: master.url }, cookie));
    await agent.syncNow("back with the real master");
    expect(agent.machine.name).toBe("serving");
    expect(agent.machine.state.lastSync?.ok).toBe(true);
  });

  it("refuses a master URL with a user name or password, on the admin page and in the config", async () => {
    const { cookie, csrf } = await admin();
    const res = await fetch(
      `${agent.url}/admin/master`,
      postForm({ csrf, masterUrl: "http://carrier:hunter22@127.0.0.1:9" }, cookie),
    );
    expect(res.status).toBe(400);
    expect(await res.text()).toContain(
      "Master URL: must not contain a user name or password (give the master's read token as the token instead).",
    );
    expect(() => parseAgentConfig({ dataDir: "/d", masterUrl: "https://u:p@master.example" })).toThrow(
      AgentConfigError,
    );
    expect(() => parseAgentConfig({ dataDir: "/d", masterUrl: "https://u:p@master.example" })).toThrow(
      /masterUrl: must not contain a user name or password/,
    );
  });
});

describe("status for anyone and for the admin", () => {
  it("hides the master URL and error text from anonymous clients, shows them to the admin", async () => {
    const { cookie, csrf } = await admin();
    await fetch(`${agent.url}/admin/master`, postForm({ csrf, masterUrl: otherUrl }, cookie));
    await agent.syncNow("fails: the other server answers 503");
    expect(agent.machine.name).toBe("error");
    const port = new URL(otherUrl).port;

    const anon = (await (await fetch(`${agent.url}/api/status`)).json()) as Record<string, unknown>;
    expect(anon.state).toBe("error");
    expect(anon).not.toHaveProperty("masterUrl");
    expect(anon).not.toHaveProperty("error");
    expect(anon.lastSync).not.toHaveProperty("error");
    expect(JSON.stringify(anon)).not.toContain(port);
    expect(await (await fetch(`${agent.url}/status`)).text()).not.toContain(port);

    const full = (await (await fetch(`${agent.url}/api/status`, { headers: { cookie } })).json()) as {
      masterUrl: string;
      error: string;
    };
    expect(full.masterUrl).toBe(otherUrl);
    expect(full.error).toBe("master answered HTTP 503");
    expect(await (await fetch(`${agent.url}/status`, { headers: { cookie } })).text()).toContain(otherUrl);
  });
});
