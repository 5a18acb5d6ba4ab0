// The status the agent reports (GET /api/status, the status page): its state, the last and
// next sync, the installed courses, the device's health and, where given, extra sections
// such as the learners' records waiting to go up.
import type { Device } from "../device/index.js";
import type { AgentStatus, CourseSource } from "../hotspot/app.js";
import { packageVersion } from "../version.js";
import type { ConnectivityMonitor } from "./connectivity.js";
import type { AgentStateMachine } from "./state.js";

export interface StatusSources {
  machine: Pick<AgentStateMachine, "state">;
  connectivity: Pick<ConnectivityMonitor, "online" | "uplink">;
  device: Pick<Device, "probes" | "kind" | "leds">;
  courses: Pick<CourseSource, "list">;
  masterUrl(): string;
  /** More sections of the status document (each one key), read at every call. */
  extra?: () => Promise<Record<string, unknown>>;
}

export function agentStatus(src: StatusSources): () => Promise<AgentStatus> {
  return async () => {
    const s = src.machine.state;
    const probe = await src.device.probes.snapshot();
    const courses = await src.courses.list();
    return {
      state: s.name,
      stateSince: s.since,
      progress: s.progress,
      course: s.course,
      error: s.error,
      retryAt: s.retryAt,
      lastSync: s.lastSync,
      nextSyncAt: s.nextSyncAt,
      bytesSaved: s.bytesSaved,
      resumePending: s.resumePending ?? false,
      online: src.connectivity.online,
      uplink: src.connectivity.uplink ?? null,
      masterUrl: src.masterUrl(),
      courses: courses.map((c) => ({
        id: c.id,
        title: c.title,
        contentHash: c.contentHash,
        publishedAt: c.publishedAt,
        installedAt: c.installedAt,
        size: c.size,
      })),
      disk: probe.disk,
      cpuTemperatureC: probe.cpuTemperatureC,
      throttle: probe.throttle,
      hotspotClients: probe.hotspotClients === null ? null : probe.hotspotClients.length,
      device: src.device.kind,
      leds: src.device.leds.state,
      version: packageVersion(),
      ...(await src.extra?.()),
    };
  };
}
