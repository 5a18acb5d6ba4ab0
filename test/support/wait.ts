// Test support: waiting for something to happen, never for a fixed time.
//
// Every wait in the suite ends on an event or a condition; a time limit only decides how long
// a real hang takes to be reported. The limits are generous on purpose: on a loaded 2-core
// CI machine (8 test workers and other jobs) a step that takes 50 ms on a laptop has been
// seen to take tens of seconds, and a too-tight limit turns load into a false failure.

/** How long a test waits for something that should happen "soon" before it gives up. */
export const WAIT_LIMIT_MS = 120_000;

export interface WaitOptions {
  /** Give up after this long (default WAIT_LIMIT_MS). */
  timeoutMs?: number;
  /** Time between two checks (default 25 ms): short, so a passing wait costs almost nothing. */
  intervalMs?: number;
}

/**
 * Check `condition` until it returns a truthy value, and resolve with that value. Rejects
 * after the limit with "timed out waiting for <what>" and the last error the condition threw,
 * if any; `what` may be a function, to report the last state seen. A condition that throws counts as "not yet": a server that is still starting
 * refuses connections.
 */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  what: string | (() => string),
  options: WaitOptions = {},
): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? WAIT_LIMIT_MS;
  const intervalMs = options.intervalMs ?? 25;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : "";
      const described = typeof what === "function" ? what() : what;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${described}${cause}`);
    }
    await new Promise((wake) => setTimeout(wake, intervalMs));
  }
}

/** Resolve when `emitter` emits `event` (with its first argument); reject after the limit. */
export function waitForEvent<T = unknown>(
  emitter: {
    once(event: string, listener: (value: T) => void): unknown;
    off(event: string, listener: (value: T) => void): unknown;
  },
  event: string,
  what: string,
  timeoutMs = WAIT_LIMIT_MS,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, onEvent);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    function onEvent(value: T) {
      clearTimeout(timer);
      resolve(value);
    }
    emitter.once(event, onEvent);
  });
}
