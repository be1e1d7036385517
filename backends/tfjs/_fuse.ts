/**
 * The `fuse` hook of the tfjs namespace: interprets a {@linkcode FusedProgram} with tf ops
 * inside one `tf.tidy` (tfjs has no user kernels to fuse into, but this skips the wrappers,
 * checks and per-op tidies of the portable fallback, and leaks no intermediate).
 *
 * @module
 */
import type { FloatDType, FusedProgram, FusedType, Scalar } from "../../array_api/types.ts";
import { broadcastShapes } from "../../array_api/shapes.ts";
import { type Arr, checkDType, type Ctx } from "./_context.ts";
import { hypot, nanMaximum, nanMinimum, signNaN } from "./_tensor_ops.ts";
import type { TfDType, TfTensor } from "./tf_like.ts";

function tfType(t: FusedType): TfDType {
  return t === "float" ? "float32" : t === "int" ? "int32" : "bool";
}

/** Runs `program` over `inputs` (see `ArrayNamespace.fuse`). */
export function fuseTfjs(
  ctx: Ctx,
  program: FusedProgram,
  inputs: readonly (Arr | number)[],
  options: { dtype: FloatDType; out?: Readonly<Record<string, Arr>> },
): Record<string, Arr> {
  const tf = ctx.tf;
  const label = program.label;
  const where = `fuse(${label})`;
  if (options.dtype !== "float32") checkDType(options.dtype, where);
  if (options.dtype !== "float32") {
    throw new TypeError(`${where}: fused programs run in float32 on tfjs, got ${options.dtype}`);
  }
  if (inputs.length !== program.inputs.length) {
    throw new RangeError(
      `${where}: expected ${program.inputs.length} inputs (${program.inputs.join(", ")}), ` +
        `got ${inputs.length}`,
    );
  }
  const arrays: Arr[] = [];
  inputs.forEach((v, i) => {
    if (typeof v !== "number") arrays.push(ctx.arr(v, where, `input ${program.inputs[i]}`));
  });
  const donated = options.out ? Object.values(options.out) : [];
  donated.forEach((d) => ctx.arr(d, where, "out"));
  const S = broadcastShapes(arrays.map((a) => a.shape), label);
  if (program.sums.length > 0 && S.length === 0) {
    throw new RangeError(`${label}: sums need inputs with at least one axis`);
  }
  const inputTensors = new Set(arrays.map((a) => a.tensor));

  const results = tf.tidy(() => {
    const vals: TfTensor[] = [];
    for (const node of program.nodes) {
      const dt = tfType(node.type);
      if (node.kind === "input") {
        const v = inputs[node.slot];
        vals.push(
          typeof v === "number" ? ctx.scalar(v as Scalar, dt) : ctx.cast((v as Arr).tensor, dt),
        );
        continue;
      }
      if (node.kind === "const") {
        vals.push(ctx.scalar(node.type === "bool" ? node.value !== 0 : node.value, dt));
        continue;
      }
      const [x, y, z] = node.args.map((i) => vals[i]);
      vals.push(applyOp(node.op, x, y, z));
    }
    const out: Record<string, TfTensor> = {};
    const used = new Set<TfTensor>(inputTensors);
    for (const o of program.outputs) {
      const dt = tfType(program.nodes[o.node].type);
      let r = ctx.broadcastTo(ctx.cast(vals[o.node], dt), S);
      if (used.has(r)) r = tf.clone(r); // never alias an input or another output
      used.add(r);
      out[o.name] = r;
    }
    for (const s of program.sums) {
      const full = ctx.broadcastTo(ctx.cast(vals[s.node], "float32"), S);
      const red = S.slice(0, -1);
      out[s.name] = S[S.length - 1] === 0 || full.size === 0
        ? tf.zeros(red, "float32")
        : tf.sum(full, S.length - 1);
    }
    return out;
  });

  function applyOp(op: string, x: TfTensor, y: TfTensor, z: TfTensor): TfTensor {
    switch (op) {
      case "add":
        return tf.add(x, y);
      case "sub":
        return tf.sub(x, y);
      case "mul":
        return tf.mul(x, y);
      case "div":
        return tf.div(x, y);
      case "max":
        return nanMaximum(tf, x, y);
      case "min":
        return nanMinimum(tf, x, y);
      case "hypot":
        return hypot(tf, x, y);
      case "neg":
        return tf.neg(x);
      case "abs":
        return tf.abs(x);
      case "sqrt":
        return tf.sqrt(x);
      case "sign":
        return signNaN(tf, x);
      case "lt":
        return tf.less(x, y);
      case "le":
        return tf.lessEqual(x, y);
      case "gt":
        return tf.greater(x, y);
      case "ge":
        return tf.greaterEqual(x, y);
      case "eq":
        return tf.equal(x, y);
      case "ne":
        return tf.notEqual(x, y);
      case "and":
        return tf.logicalAnd(x, y);
      case "or":
        return tf.logicalOr(x, y);
      case "not":
        return tf.logicalNot(x);
      case "where":
        return tf.where(x, y, z);
      case "isfinite":
        return tf.isFinite(x);
      case "toFloat":
        return ctx.cast(x, "float32");
      case "toInt":
        return ctx.cast(x, "int32"); // truncates toward zero
    }
    throw new TypeError(`${where}: unknown operator ${op}`);
  }

  const wrapped: Record<string, Arr> = {};
  for (const [name, t] of Object.entries(results)) wrapped[name] = ctx.wrap(t);
  // donated arrays are released (tfjs tensors are immutable: nothing is written in place)
  ctx.ns.dispose(...donated);
  return wrapped;
}
