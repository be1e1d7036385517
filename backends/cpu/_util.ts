/**
 * Private argument checks shared by the CPU backend's functions.
 *
 * @module
 */
import type { Device, DType } from "../../array_api/types.ts";
import { isArrayObject } from "../../array_api/namespace_of.ts";
import { CpuArray } from "./cpu_array.ts";
import { checkDType, type CpuDType } from "./_dtype.ts";

/**
 * `x` as a CPU array: arrays of another namespace are a `TypeError` ("arrays from different
 * namespaces"), anything else a `TypeError` naming what was passed.
 */
export function asArr(x: unknown, fn: string, what = "x"): CpuArray {
  if (x instanceof CpuArray) return x;
  if (isArrayObject(x)) {
    let other = "another namespace";
    try {
      other = x.__array_namespace__().name;
    } catch {
      // keep the generic wording
    }
    throw new TypeError(
      `${fn}: arrays from different namespaces cannot be mixed (${what} belongs to ${other}, ` +
        `not cpu; move data with cpu.asarray(await other.toHost(x)))`,
    );
  }
  throw new TypeError(`${fn}: ${what} must be a cpu array, got ${describe(x)}`);
}

/** A short description of a value for error messages. */
export function describe(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return "a JS array (use cpu.asarray first)";
  if (ArrayBuffer.isView(x)) return `a ${x.constructor.name} (use cpu.asarray first)`;
  if (typeof x === "object") {
    return `an object (${(x as { constructor?: { name?: string } }).constructor?.name ?? "?"})`;
  }
  return `${typeof x} ${String(x)}`;
}

/** Validates a `device` option (only `"cpu"`); a different device is a `RangeError`. */
export function checkDevice(device: Device | undefined | null, fn: string): void {
  if (device === undefined || device === null || device === "cpu") return;
  throw new RangeError(`${fn}: unknown device ${JSON.stringify(device)} (cpu has only "cpu")`);
}

/** Validates an optional dtype option. */
export function optDType(d: DType | undefined | null, fn: string): CpuDType | undefined {
  return d === undefined || d === null ? undefined : checkDType(d, fn);
}
