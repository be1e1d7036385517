/**
 * `fuse` on the WebGPU namespace: a {@linkcode FusedProgram} becomes one WGSL kernel (cached
 * by the program key, the float dtype, and each input's kind). Elementwise outputs are
 * written per element; `f.sum` outputs are row reductions over the last axis in the same
 * kernel (one workgroup per row, long rows split in chunks plus one combine dispatch).
 * Donated `out` arrays of the right shape and dtype that no other view shares are written in
 * place — also when the same array is an input (each element is read before it is written).
 *
 * @module
 */
import type {
  DType,
  FloatDType,
  FusedNode,
  FusedProgram,
  FusedResult,
  FusedType,
} from "../../array_api/types.ts";
import { broadcastShapes, fmtShape } from "../../array_api/shapes.ts";
import { type Ctx, describe } from "./_ctx.ts";
import { type ExprIn, type ExprOut, runExpr } from "./_expr.ts";
import { fcall } from "./_elementwise.ts";
import { lit, type Val, valOf } from "./_wgsl.ts";
import { WebGpuArray } from "./webgpu_array.ts";

type A = WebGpuArray;

/** WGSL statements computing every node of a program (`n{i}`). @internal */
export function fusedBody(program: FusedProgram, T: Val, inputs: readonly string[]): string {
  const vt = (t: FusedType): Val => (t === "float" ? T : t === "int" ? "i32" : "bool");
  const lines: string[] = [];
  const nodes = program.nodes;
  nodes.forEach((n: FusedNode, i) => {
    let e: string;
    if (n.kind === "input") e = inputs[n.slot];
    else if (n.kind === "const") e = lit(n.type === "bool" ? n.value !== 0 : n.value, vt(n.type));
    else {
      const a = n.args.map((k) => `n${k}`);
      const at = n.args.map((k) => nodes[k].type);
      const fl = at[0] === "float";
      switch (n.op) {
        case "add":
          e = `(${a[0]} + ${a[1]})`;
          break;
        case "sub":
          e = `(${a[0]} - ${a[1]})`;
          break;
        case "mul":
          e = `(${a[0]} * ${a[1]})`;
          break;
        case "div":
          e = `(${a[0]} / ${a[1]})`;
          break;
        case "max":
          e = fl ? fcall("fmax", T, a[0], a[1]) : `max(${a[0]}, ${a[1]})`;
          break;
        case "min":
          e = fl ? fcall("fmin", T, a[0], a[1]) : `min(${a[0]}, ${a[1]})`;
          break;
        case "hypot":
          e = fcall("hypot", T, a[0], a[1]);
          break;
        case "neg":
          e = `(-${a[0]})`;
          break;
        case "abs":
          e = `abs(${a[0]})`;
          break;
        case "sqrt":
          e = fcall("sqrt", T, a[0]);
          break;
        case "sign":
          e = fl ? fcall("sign", T, a[0]) : `sign(${a[0]})`;
          break;
        case "lt":
          e = `(${a[0]} < ${a[1]})`;
          break;
        case "le":
          e = `(${a[0]} <= ${a[1]})`;
          break;
        case "gt":
          e = `(${a[0]} > ${a[1]})`;
          break;
        case "ge":
          e = `(${a[0]} >= ${a[1]})`;
          break;
        case "eq":
          e = `(${a[0]} == ${a[1]})`;
          break;
        case "ne":
          e = fl ? `(!(${a[0]} == ${a[1]}))` : `(${a[0]} != ${a[1]})`;
          break;
        case "and":
          e = `(${a[0]} && ${a[1]})`;
          break;
        case "or":
          e = `(${a[0]} || ${a[1]})`;
          break;
        case "not":
          e = `(!${a[0]})`;
          break;
        case "where":
          e = `select(${a[2]}, ${a[1]}, ${a[0]})`;
          break;
        case "isfinite":
          e = `isfinite_f32(f32(${a[0]}))`;
          break;
        case "toFloat":
          e = at[0] === "bool" ? `select(${T}(0), ${T}(1), ${a[0]})` : `${T}(${a[0]})`;
          break;
        case "toInt":
          e = at[0] === "bool" ? `select(0i, 1i, ${a[0]})` : `i32(${a[0]})`;
          break;
        default:
          throw new TypeError(
            `${program.label}: unknown fused operator ${(n as { op: string }).op}`,
          );
      }
    }
    lines.push(`let n${i}: ${vt(n.type)} = ${e};`);
  });
  return lines.join("\n");
}

const FUSE_HELPERS = [
  "fmax_f32",
  "fmin_f32",
  "hypot_f32",
  "sqrt_f32",
  "sign_f32",
  "isfinite_f32",
];

/** The `fuse` hook. @internal */
export function fuseOp(ctx: Ctx) {
  // short cache keys: one id per program key (the key text can be long)
  const ids = new Map<string, number>();
  const byProgram = new WeakMap<FusedProgram, number>();
  const idOf = (p: FusedProgram): number => {
    let id = byProgram.get(p);
    if (id === undefined) {
      id = ids.get(p.key);
      if (id === undefined) ids.set(p.key, id = ids.size);
      byProgram.set(p, id);
    }
    return id;
  };
  return function fuse(
    program: FusedProgram,
    inputs: readonly (A | number)[],
    options: { dtype: FloatDType; out?: Readonly<Record<string, A>> },
  ): FusedResult<A> {
    ctx.engine.check();
    const label = program.label;
    const dtype = options.dtype;
    ctx.checkDType(dtype, `fuse(${label})`);
    if (dtype !== "float32" && dtype !== "float16") {
      throw new TypeError(`fuse(${label}): the program dtype must be floating, got ${dtype}`);
    }
    if (inputs.length !== program.inputs.length) {
      throw new RangeError(
        `fuse(${label}): expected ${program.inputs.length} inputs (${
          program.inputs.join(", ")
        }), got ${inputs.length}`,
      );
    }
    const slotType: FusedType[] = new Array(inputs.length).fill("float");
    for (const n of program.nodes) if (n.kind === "input") slotType[n.slot] = n.type;
    const T = valOf(dtype);
    const ins: ExprIn[] = [];
    const shapes: (readonly number[])[] = [];
    let key = `fuse#${idOf(program)}:${dtype}:`;
    const names: string[] = [];
    inputs.forEach((v, k) => {
      const t = slotType[k];
      const name = program.inputs[k];
      const want: DType = t === "float" ? dtype : t === "int" ? "int32" : "bool";
      const vt: Val = t === "float" ? T : t === "int" ? "i32" : "bool";
      if (typeof v === "number") {
        if (t === "bool") throw new TypeError(`fuse(${label}): input ${name} must be a bool array`);
        if (t === "int" && !Number.isInteger(v)) {
          throw new TypeError(`fuse(${label}): int input ${name} got ${v}`);
        }
        ins.push({ value: v, val: vt });
        key += "s,";
      } else {
        if (!(v instanceof WebGpuArray)) {
          ctx.live(v, `fuse(${label})`);
          throw new TypeError(`fuse(${label}): input ${name} is ${describe(v)}`);
        }
        ctx.live(v, `fuse(${label})`);
        if (v.dtype !== want) {
          throw new TypeError(`fuse(${label}): input ${name} must be ${want}, got ${v.dtype}`);
        }
        ins.push(v);
        shapes.push(v.shape);
        key += "a,";
      }
      names.push(`x${k}`);
    });
    const S = broadcastShapes(shapes, label);
    if (program.sums.length > 0 && S.length === 0) {
      throw new RangeError(`fuse(${label}): sums need inputs with at least one axis`);
    }
    // donated outputs
    const outs: ExprOut[] = [];
    const used = new Set<unknown>();
    const release: A[] = [];
    const donated = options.out ?? {};
    for (const [name, arr] of Object.entries(donated)) {
      if (!program.outputs.some((o) => o.name === name)) {
        throw new TypeError(`fuse(${label}): out.${name} is not an elementwise output`);
      }
      if (!(arr instanceof WebGpuArray)) ctx.live(arr, `fuse(${label})`);
      if (arr.shape.length !== S.length || arr.shape.some((d, i) => d !== S[i])) {
        throw new RangeError(
          `fuse(${label}): out.${name} has shape ${fmtShape(arr.shape)}, expected ${fmtShape(S)}`,
        );
      }
    }
    for (const o of program.outputs) {
      const t = program.nodes[o.node].type;
      const odt: DType = t === "float" ? dtype : t === "int" ? "int32" : "bool";
      const d = donated[o.name];
      if (d !== undefined && !d.disposed) {
        ctx.live(d, `fuse(${label})`);
        const s = d._s!;
        const ok = d.dtype === odt && d._contig && s.refs === 1 && !s.external && !used.has(s);
        if (ok) {
          used.add(s);
          outs.push({ dtype: odt, into: d });
          continue;
        }
        release.push(d);
      }
      outs.push({ dtype: odt });
    }
    key += outs.map((o) => (o.into ? "d" : "n")).join("");
    const inner = program.sums.length > 0 ? 1 : 0;
    const res = runExpr(ctx, {
      label,
      key,
      shape: S,
      inputs: ins,
      body: (x) => {
        let b = fusedBody(program, T, x);
        program.outputs.forEach((o, k) => (b += `\nlet o${k} = n${o.node};`));
        program.sums.forEach((s, k) => (b += `\nlet r${k} = n${s.node};`));
        return b;
      },
      helpers: FUSE_HELPERS,
      outputs: outs,
      reduce: inner
        ? {
          inner,
          ops: program.sums.map(() => ({ op: "sum" as const, dtype })),
          vals: program.sums.map(() => T),
        }
        : undefined,
    });
    for (const r of release) if (!used.has(r._s)) ctx.dispose(r);
    const result: FusedResult<A> = {};
    program.outputs.forEach((o, k) => (result[o.name] = res[k]));
    program.sums.forEach((s, k) => (result[s.name] = res[program.outputs.length + k]));
    return result;
  };
}
