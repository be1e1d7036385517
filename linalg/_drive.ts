// How a solver body waits: every solver is written once as a generator (`function*`) that yields
// the few operations it must wait for, and one of two drivers runs it.
//
// - `{ op: "issue" }` starts a host readback of an array and returns a handle at once (the value
//   is captured now; a GPU backend submits its recorded work and starts the copy);
// - `{ op: "wait" }` returns the host data of a handle (the pipelined convergence checks wait for
//   a snapshot only at the next check, so the device keeps working in between);
// - `{ op: "promise" }` waits for a promise: a user callback's (`what: "callback"`) or a backend's
//   whole-loop fast path (`what: "fast path"`, never yielded by a synchronous solve);
// - `{ op: "defer" }` hands the driver arrays to dispose when the solve ends, whichever way it
//   ends (result or error): temporaries such as `prepareSystem`'s finiteness flags, which would
//   otherwise leak on every error path (device memory on WebGPU and tfjs).
//
// `driveAsync` issues with `xp.toHost` and awaits: the behaviour and pipelining of the async
// solvers. `driveSync` issues with `xp.toHostSync` (the data is there at once, so a wait returns
// it and the measured readback latency is ~0: the monitor checks after every iteration) and
// rejects promises: a callback returning one is a TypeError. A failed operation is thrown into
// the generator at its yield, where the async solver's `await` would have thrown it.
import type { ArrayNamespace, ArrayObject, HostArray } from "../array_api/types.ts";
import { resolveNamespace } from "./_prepare.ts";

/** A readback in flight, as returned by an `issue` operation (opaque to solvers). */
export interface Readback {
  /** Async driver: the pending `toHost` (its rejection is handled if the handle is dropped). */
  readonly promise?: Promise<HostArray>;
  /** Sync driver: the data, read at once. */
  readonly data?: HostArray;
}

/** An operation a solver body yields to its driver. */
export type DriveOp<A extends ArrayObject = ArrayObject> =
  | { readonly op: "issue"; readonly xp: ArrayNamespace<A>; readonly array: A }
  | { readonly op: "wait"; readonly handle: Readback }
  | {
    readonly op: "promise";
    readonly promise: PromiseLike<unknown>;
    readonly what: "callback" | "fast path";
  }
  | { readonly op: "defer"; readonly xp: ArrayNamespace<A>; readonly arrays: readonly A[] };

/** A solver body (or a part of one) returning `R`. */
export type Steps<R, A extends ArrayObject = ArrayObject> = Generator<DriveOp<A>, R, unknown>;

/** Starts a readback of `array` (borrowed: its value is captured at once). */
export function* issue<A extends ArrayObject>(
  xp: ArrayNamespace<A>,
  array: A,
): Steps<Readback, A> {
  return (yield { op: "issue", xp, array }) as Readback;
}

/** Waits for the data of a readback started with {@linkcode issue}. */
export function* wait<A extends ArrayObject>(handle: Readback): Steps<HostArray, A> {
  return (yield { op: "wait", handle }) as HostArray;
}

/** Reads `array` back and waits for it (`await xp.toHost(array)`). */
export function* readBack<A extends ArrayObject>(
  xp: ArrayNamespace<A>,
  array: A,
): Steps<HostArray, A> {
  const h = yield* issue(xp, array);
  return yield* wait<A>(h);
}

/** Waits for what a user callback returned when it is a promise (SciPy-style callbacks return
 * nothing; an async solver awaits a returned promise, a synchronous one rejects it). */
export function* callbackDone<A extends ArrayObject>(ret: unknown): Steps<void, A> {
  if (ret instanceof Promise) yield { op: "promise", promise: ret, what: "callback" };
}

/** Waits for a backend's fast-path promise (async solves only). */
export function* fastPathDone<R, A extends ArrayObject>(promise: Promise<R>): Steps<R, A> {
  return (yield { op: "promise", promise, what: "fast path" }) as R;
}

/** Has the driver dispose `arrays` when the solve ends (returns or throws). Disposing twice is
 * harmless, so a solver may also dispose them earlier. */
export function* deferDispose<A extends ArrayObject>(
  xp: ArrayNamespace<A>,
  arrays: readonly A[],
): Steps<void, A> {
  if (arrays.length > 0) yield { op: "defer", xp, arrays };
}

/** Disposes what {@linkcode deferDispose} handed over (never throws over a solver's error). */
function release(deferred: { xp: ArrayNamespace<ArrayObject>; arrays: readonly ArrayObject[] }[]) {
  for (const d of deferred) {
    try {
      d.xp.dispose(...d.arrays);
    } catch {
      // a failing dispose must not hide the solve's result or error
    }
  }
}

/** Runs a solver body with asynchronous readbacks (`xp.toHost`, awaited). */
export async function driveAsync<R>(gen: Steps<R, ArrayObject>): Promise<R> {
  const deferred: { xp: ArrayNamespace<ArrayObject>; arrays: readonly ArrayObject[] }[] = [];
  try {
    return await runAsync(gen, deferred);
  } finally {
    release(deferred);
  }
}

async function runAsync<R>(
  gen: Steps<R, ArrayObject>,
  deferred: { xp: ArrayNamespace<ArrayObject>; arrays: readonly ArrayObject[] }[],
): Promise<R> {
  let input: unknown = undefined;
  let failed = false;
  let error: unknown = undefined;
  for (;;) {
    const step = failed ? gen.throw(error) : gen.next(input);
    failed = false;
    if (step.done) return step.value;
    const op = step.value;
    input = undefined;
    try {
      if (op.op === "defer") {
        deferred.push(op);
      } else if (op.op === "issue") {
        const promise = op.xp.toHost(op.array);
        // a pipelined snapshot may be abandoned unread: its failure must not go unhandled
        promise.catch(() => {});
        input = { promise } satisfies Readback;
      } else if (op.op === "wait") {
        input = op.handle.data ?? await op.handle.promise!;
      } else {
        input = await op.promise;
      }
    } catch (e) {
      failed = true;
      error = e;
    }
  }
}

/**
 * Runs a solver body synchronously on `xp` (which must have `toHostSync`; null: each readback's
 * namespace is checked instead): readbacks complete at once, and a promise from a callback is a
 * TypeError naming `label` (e.g. `"cgSync"`).
 */
export function driveSync<R>(
  xp: ArrayNamespace<ArrayObject> | null,
  gen: Steps<R, ArrayObject>,
  label: string,
): R {
  if (xp) requireSync(xp, label);
  const deferred: { xp: ArrayNamespace<ArrayObject>; arrays: readonly ArrayObject[] }[] = [];
  try {
    return runSync(gen, label, deferred);
  } finally {
    release(deferred);
  }
}

function runSync<R>(
  gen: Steps<R, ArrayObject>,
  label: string,
  deferred: { xp: ArrayNamespace<ArrayObject>; arrays: readonly ArrayObject[] }[],
): R {
  let input: unknown = undefined;
  let failed = false;
  let error: unknown = undefined;
  for (;;) {
    const step = failed ? gen.throw(error) : gen.next(input);
    failed = false;
    if (step.done) return step.value;
    const op = step.value;
    input = undefined;
    try {
      if (op.op === "defer") {
        deferred.push(op);
      } else if (op.op === "issue") {
        const ns = op.xp;
        if (typeof ns.toHostSync !== "function") requireSync(ns, label);
        input = { data: ns.toHostSync!(op.array) } satisfies Readback;
      } else if (op.op === "wait") {
        if (op.handle.data === undefined) {
          throw new Error(`${label}: internal error: a readback was not issued synchronously`);
        }
        input = op.handle.data;
      } else {
        // the promise may still reject later: that must not surface as an unhandled rejection
        Promise.resolve(op.promise).catch(() => {});
        const base = label.replace(/Sync$/, "");
        throw new TypeError(
          op.what === "callback"
            ? `${label}: callback returned a promise; a synchronous solve cannot wait for it ` +
              `(make the callback synchronous, or use the async ${base}())`
            : `${label}: internal error: a synchronous solve met an asynchronous ${op.what}`,
        );
      }
    } catch (e) {
      failed = true;
      error = e;
    }
  }
}

/** TypeError unless `xp` can read arrays back synchronously. */
function requireSync(xp: ArrayNamespace<ArrayObject>, label: string): void {
  if (typeof xp.toHostSync === "function") return;
  const base = label.replace(/Sync$/, "");
  throw new TypeError(
    `${label}: namespace "${xp.name}" has no toHostSync (it cannot read arrays back ` +
      `synchronously); use the async ${base}() instead`,
  );
}

/**
 * The synchronous entry of a solver: resolves the namespace of the inputs that carry one (the
 * way the solver will; cpu when none does), checks that it has `toHostSync` before any work is
 * done, and runs `body` with {@linkcode driveSync}. Input errors that the namespace resolution
 * finds are left to the solver, which reports them with its usual message.
 */
export function solveSync<R>(
  label: string,
  inputs: Record<string, unknown>,
  body: () => Steps<R, ArrayObject>,
): R {
  let xp: ArrayNamespace<ArrayObject> | undefined;
  try {
    xp = resolveNamespace<ArrayObject>(label, inputs);
  } catch {
    xp = undefined; // mixed namespaces: the solver throws its own TypeError
  }
  const name = label + "Sync";
  if (xp) requireSync(xp, name);
  return driveSync(xp ?? null, body(), name);
}
