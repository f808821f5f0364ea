import rpi4 from "../../targets/rpi4.json" with { type: "json" };
import rpiZero2w from "../../targets/rpi-zero2w.json" with { type: "json" };
import x8664Minipc from "../../targets/x86_64-minipc.json" with { type: "json" };
import openwrtAarch64 from "../../targets/openwrt-aarch64.json" with { type: "json" };
import openwrtX8664 from "../../targets/openwrt-x86_64.json" with { type: "json" };
import type { JsonObject } from "./config/schema.ts";

/** How a target runs superpeer. */
export type TargetRuntime = "deno-compile" | "node-bundle" | "node-sea" | "source";

/** One hardware class: how to build for it and the configuration defaults it needs. */
export interface TargetProfile {
  readonly name: string;
  readonly hardware: string;
  readonly minRamMb: number;
  readonly runtime: TargetRuntime;
  /** `deno compile --target` triple, or null where Deno cannot run (musl, 32-bit). */
  readonly compileTarget: string | null;
  /** Node single-executable architecture (`x64`, `arm64`), or null. */
  readonly seaArch: string | null;
  /** Partial configuration applied over the built-in defaults, under the config file. */
  readonly config: JsonObject;
}

/** The built-in workstation/CI profile: built-in defaults only, nothing on the LAN. */
const DEV_PROFILE: TargetProfile = {
  name: "dev",
  hardware: "Developer workstation or CI machine (runs from source with `npm start`)",
  minRamMb: 0,
  runtime: "source",
  compileTarget: null,
  seaArch: null,
  config: {},
};

/** Every known target profile, by name. */
export const TARGET_PROFILES: ReadonlyMap<string, TargetProfile> = new Map(
  [DEV_PROFILE, rpi4, rpiZero2w, x8664Minipc, openwrtAarch64, openwrtX8664].map((p) => [
    p.name,
    p as TargetProfile,
  ]),
);

/** The profile called `name`; the configuration schema has already checked that it exists. */
export function targetProfile(name: string): TargetProfile {
  const profile = TARGET_PROFILES.get(name);
  if (profile === undefined) throw new RangeError(`Unknown target profile: ${name}`);
  return profile;
}
