/**
 * Finding the namespace of arrays (`x.__array_namespace__()`), the standard's
 * `array_namespace(*arrays)` idiom. There is no global registry: the namespace is a plain
 * value carried by the arrays themselves.
 *
 * @module
 */
import type { ArrayNamespace, ArrayObject } from "./types.ts";

/**
 * Whether `x` is an array of some namespace (it has `__array_namespace__`, `shape`, `dtype`).
 *
 * @example
 * ```ts
 * import { isArrayObject } from "./namespace_of.ts";
 * import { cpu } from "../backends/cpu/mod.ts";
 * console.log(isArrayObject(cpu.zeros(2)), isArrayObject([1, 2])); // true false
 * ```
 */
export function isArrayObject(x: unknown): x is ArrayObject {
  return typeof x === "object" && x !== null &&
    typeof (x as ArrayObject).__array_namespace__ === "function" &&
    Array.isArray((x as ArrayObject).shape) && typeof (x as ArrayObject).dtype === "string";
}

/**
 * The one namespace shared by the array arguments (non-arrays are ignored), or `undefined`
 * when none is an array. Arrays of different namespaces are a `TypeError` naming both.
 *
 * @example
 * ```ts
 * import { namespaceOf } from "./namespace_of.ts";
 * import { cpu } from "../backends/cpu/mod.ts";
 * const xp = namespaceOf(cpu.zeros(2), 3.5); // cpu
 * ```
 */
export function namespaceOf(...values: unknown[]): ArrayNamespace | undefined {
  let found: ArrayNamespace | undefined;
  for (const v of values) {
    if (!isArrayObject(v)) continue;
    const ns = v.__array_namespace__();
    if (found === undefined) found = ns;
    else if (ns !== found) {
      throw new TypeError(
        `arrays from different namespaces cannot be mixed: ${found.name} and ${ns.name} ` +
          `(move data with asarray(await other.toHost(x)) first)`,
      );
    }
  }
  return found;
}
