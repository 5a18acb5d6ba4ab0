// Validation of the device part of the agent's config, so a typo fails at start-up with
// the exact key named instead of blinking the wrong pin.
import { z } from "zod";
import type { DeviceConfig } from "./index.js";

/** BCM pins used when the config names none: see the wiring table in the README. */
/**
 * Default wiring. The button is BCM 23, not 3: the image gives BCM 3 to the kernel's
 * gpio-shutdown overlay (press to halt, press again to wake), which then owns that pin.
 */
export const DEFAULT_PINS = { status: 17, alert: 27, button: 23 } as const;

const bcmPin = z.number().int().min(0).max(53);
const ms = z.number().int().min(0).max(600_000);

export const deviceConfigSchema = z
  .object({
    mode: z.enum(["auto", "real", "simulated"]).optional(),
    leds: z
      .object({
        statusPin: bcmPin.optional(),
        alertPin: bcmPin.optional(),
        activeLow: z.boolean().optional(),
      })
      .strict()
      .optional(),
    button: z
      .union([
        z.literal(false),
        z
          .object({
            pin: bcmPin.optional(),
            activeLow: z.boolean().optional(),
            debounceMs: ms.optional(),
            longPressMs: ms.min(100).optional(),
            ownsShutdown: z.boolean().optional(),
          })
          .strict(),
      ])
      .optional(),
    wifi: z
      .object({
        iface: z
          .string()
          .regex(/^[\w.-]{1,15}$/)
          .optional(),
        nmcli: z.string().min(1).optional(),
        timeoutSec: z.number().int().min(1).max(600).optional(),
        secretsDir: z.string().min(1).optional(),
        profilePrefix: z.string().optional(),
      })
      .strict()
      .optional(),
    probes: z
      .object({
        dataPath: z.string().min(1).optional(),
        snapshotTtlMs: ms.optional(),
        slowFallbackTtlMs: z.number().int().min(0).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const pins = [
      ["leds.statusPin", c.leds?.statusPin ?? DEFAULT_PINS.status],
      ["leds.alertPin", c.leds?.alertPin ?? DEFAULT_PINS.alert],
      ...(c.button === false ? [] : [["button.pin", c.button?.pin ?? DEFAULT_PINS.button] as const]),
    ] as const;
    for (let i = 0; i < pins.length; i++) {
      for (let j = i + 1; j < pins.length; j++) {
        if (pins[i]![1] === pins[j]![1]) {
          ctx.addIssue({
            code: "custom",
            message: `${pins[i]![0]} and ${pins[j]![0]} are both BCM ${pins[i]![1]}`,
            path: [pins[j]![0]],
          });
        }
      }
    }
  });

export class DeviceConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`bad device config:\n  ${issues.join("\n  ")}`);
    this.name = "DeviceConfigError";
  }
}

type Issue = z.core.$ZodIssue;

/**
 * "key.path: message" lines. A union (`button: false | {...}`) only says "Invalid input";
 * report instead the branch that got furthest into the value, which names the bad key.
 */
function describeIssues(issues: readonly Issue[], prefix: PropertyKey[] = []): string[] {
  return issues.flatMap((issue) => {
    const at = [...prefix, ...issue.path];
    if (issue.code === "invalid_union" && issue.errors.length > 0) {
      const depth = (branch: readonly Issue[]) => Math.max(...branch.map((i) => i.path.length));
      const best = [...issue.errors].sort((a, b) => depth(b) - depth(a))[0]!;
      return describeIssues(best, at);
    }
    return [`${at.length > 0 ? at.map(String).join(".") : "(top level)"}: ${issue.message}`];
  });
}

/** Parse untrusted config (file or JSON); throws DeviceConfigError naming each bad key. */
export function parseDeviceConfig(input: unknown): DeviceConfig {
  const result = deviceConfigSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  throw new DeviceConfigError(describeIssues(result.error.issues));
}
