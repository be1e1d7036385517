// Opening the array namespace a solve runs on: the CPU backend, or WebGPU when an adapter
// exists. WebGPU is reached only through a dynamic import guarded by try/catch, after
// `navigator.gpu` has given an adapter, so the CLI and the demo work where it is absent.
import type { ArrayNamespace, ArrayObject } from "../array_api/types.ts";
import { cpu } from "../backends/cpu/mod.ts";

/** An opened backend. */
export interface Backend {
  /** `"cpu"` or `"webgpu"`. */
  readonly name: "cpu" | "webgpu";
  /** The namespace. */
  readonly xp: ArrayNamespace<ArrayObject>;
  /** What runs the work, for reports: `"cpu"` or the adapter's description. */
  readonly device: string;
  /** Releases what the backend holds (GPU device and pooled buffers). */
  close(): void;
}

/** Outcome of looking for a WebGPU adapter. */
export type WebGpuProbe =
  | { readonly ok: true; readonly adapter: GPUAdapter; readonly description: string }
  | { readonly ok: false; readonly reason: string };

/** Looks for a WebGPU adapter (never throws; says why when there is none). */
export async function probeWebGpu(): Promise<WebGpuProbe> {
  const gpu = (globalThis.navigator as Navigator & { gpu?: GPU } | undefined)?.gpu;
  if (!gpu) return { ok: false, reason: "navigator.gpu is not available in this runtime" };
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  } catch (e) {
    return { ok: false, reason: `requestAdapter() failed: ${firstLine(e)}` };
  }
  if (!adapter) {
    return {
      ok: false,
      reason: "navigator.gpu.requestAdapter() returned no adapter (no GPU driver, or no " +
        "Vulkan/Metal/D3D12 software fallback such as Mesa lavapipe)",
    };
  }
  const info = adapter.info;
  let description = info?.description || info?.device || info?.vendor || "unnamed adapter";
  if (info?.isFallbackAdapter) description += ", software fallback";
  return { ok: true, adapter, description };
}

/** The CPU backend. */
export function cpuBackend(): Backend {
  return { name: "cpu", xp: cpu as ArrayNamespace<ArrayObject>, device: "cpu", close() {} };
}

/** Opens the WebGPU backend on a probed adapter (throws an `Error` saying why it cannot). */
export async function webgpuBackend(probe?: WebGpuProbe): Promise<Backend> {
  const p = probe ?? await probeWebGpu();
  if (!p.ok) throw new Error(`--backend webgpu: no WebGPU adapter: ${p.reason}`);
  let mod: typeof import("../backends/webgpu/mod.ts");
  try {
    mod = await import("../backends/webgpu/mod.ts");
  } catch (e) {
    throw new Error(`--backend webgpu: the WebGPU backend failed to load: ${firstLine(e)}`);
  }
  const xp = await mod.webgpu({ adapter: p.adapter });
  return {
    name: "webgpu",
    xp: xp as unknown as ArrayNamespace<ArrayObject>,
    device: p.description,
    close: () => xp.destroy(),
  };
}

/** First line of an error's message. */
export function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.split("\n")[0];
}
