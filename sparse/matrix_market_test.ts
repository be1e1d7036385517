import assert from "node:assert/strict";
import { cpu, type CpuArray } from "../backends/cpu/mod.ts";
import {
  type MatrixMarketResult,
  readMatrixMarket,
  writeMatrixMarket,
  type WriteMatrixMarketOptions,
} from "./matrix_market.ts";
import type { CooArray } from "./coo_array.ts";
import type { CsrArray } from "./csr_array.ts";
import { cooArray } from "./coo_array.ts";
import { csrArray } from "./csr_array.ts";
import { mulberry32 } from "./gallery.ts";

const HERE = new URL("./testdata/", import.meta.url);

async function denseOf(r: MatrixMarketResult<CpuArray>): Promise<number[]> {
  const x = r.format === "coordinate" ? r.matrix.toDense() : r.matrix;
  return [...(await cpu.toHost(x))];
}

Deno.test("readMatrixMarket: files written by scipy.io.mmwrite", async () => {
  const expected = JSON.parse(await Deno.readTextFile(new URL("mm_expected.json", HERE)));
  for (
    const [name, ref] of Object.entries(expected) as [
      string,
      { shape: number[]; dense: number[] },
    ][]
  ) {
    const bytes = await Deno.readFile(new URL(`mm_${name}.mtx`, HERE));
    const r = readMatrixMarket(bytes);
    assert.deepEqual([...r.shape], ref.shape, name);
    assert.equal(r.format, name.startsWith("array") ? "array" : "coordinate", name);
    assert.deepEqual(await denseOf(r), ref.dense, name);
    if (name.startsWith("integer")) assert.equal(r.matrix.dtype, "int32");
  }
  const sym = readMatrixMarket(await Deno.readTextFile(new URL("mm_real_symmetric.mtx", HERE)));
  assert.equal(sym.symmetry, "symmetric");
  assert.deepEqual(sym.comments, [""]);
});

/** Every variant: write, read back, compare dense values and the header. */
Deno.test("writeMatrixMarket → readMatrixMarket round-trips every variant", async () => {
  const cases: {
    name: string;
    A: CsrArray<CpuArray> | CooArray<CpuArray> | CpuArray;
    opts?: WriteMatrixMarketOptions;
    header: string;
  }[] = [
    {
      name: "coordinate real general",
      A: csrArray([[1.5, 0, -2], [0, 1e-300, 0]]),
      header: "%%MatrixMarket matrix coordinate real general",
    },
    {
      name: "coordinate real symmetric (auto)",
      A: csrArray([[2, -1, 0], [-1, 2, 0.1], [0, 0.1, 2]]),
      header: "%%MatrixMarket matrix coordinate real symmetric",
    },
    {
      name: "coordinate real skew-symmetric (auto)",
      A: csrArray([[0, 3, -1], [-3, 0, 0], [1, 0, 0]]),
      header: "%%MatrixMarket matrix coordinate real skew-symmetric",
    },
    {
      name: "coordinate real general forced",
      A: csrArray([[2, 1], [1, 2]]),
      opts: { symmetry: "general" },
      header: "%%MatrixMarket matrix coordinate real general",
    },
    {
      name: "coordinate integer general",
      A: csrArray({
        indptr: [0, 1, 3],
        indices: [1, 0, 1],
        data: new Int32Array([7, -3, 2147483647]),
      }),
      header: "%%MatrixMarket matrix coordinate integer general",
    },
    {
      name: "coordinate integer symmetric",
      A: csrArray([[1, 5], [5, 0]], { dtype: "int32" }),
      header: "%%MatrixMarket matrix coordinate integer symmetric",
    },
    {
      name: "coordinate pattern general",
      A: csrArray([[1, 0], [1, 1]]),
      opts: { field: "pattern" },
      header: "%%MatrixMarket matrix coordinate pattern general",
    },
    {
      name: "coordinate pattern symmetric",
      A: csrArray([[1, 1], [1, 0]]),
      opts: { field: "pattern" },
      header: "%%MatrixMarket matrix coordinate pattern symmetric",
    },
    {
      name: "coordinate float32 shortest text",
      A: csrArray([[0.1, 0.2], [0, 1 / 3]], { dtype: "float32" }),
      header: "%%MatrixMarket matrix coordinate real general",
    },
    {
      name: "coordinate non-finite",
      A: cooArray({ row: [0, 1, 1], col: [0, 0, 1], data: [Infinity, NaN, -Infinity] }),
      header: "%%MatrixMarket matrix coordinate real general",
    },
    {
      name: "array real general",
      A: cpu.asarray([[1, 2, 3], [4, 5, 6]]),
      header: "%%MatrixMarket matrix array real general",
    },
    {
      name: "array real symmetric",
      A: cpu.asarray([[1, 2], [2, 3]]),
      header: "%%MatrixMarket matrix array real symmetric",
    },
    {
      name: "array real skew-symmetric",
      A: cpu.asarray([[0, 2], [-2, 0]]),
      header: "%%MatrixMarket matrix array real skew-symmetric",
    },
    {
      name: "array integer general",
      A: cpu.asarray([[1, -2]], { dtype: "int32" }),
      header: "%%MatrixMarket matrix array integer general",
    },
    {
      name: "array integer symmetric",
      A: cpu.asarray([[4, 1], [1, 9]], { dtype: "int32" }),
      header: "%%MatrixMarket matrix array integer symmetric",
    },
    {
      name: "empty",
      A: csrArray({ indptr: [0, 0, 0], indices: [], data: [] }, { shape: [2, 3] }),
      header: "%%MatrixMarket matrix coordinate real general",
    },
  ];
  for (const c of cases) {
    const text = await writeMatrixMarket(c.A, { comment: "line one\nline two", ...c.opts });
    assert.equal(text.split("\n")[0], c.header, c.name);
    const r = readMatrixMarket(text, {
      dtype: c.A.dtype === "float32" ? "float32" : undefined,
    });
    assert.deepEqual(r.comments, ["line one", "line two"], c.name);
    const src = "toDense" in c.A ? c.A.toDense() : c.A;
    let want = [...(await cpu.toHost(src))];
    if (c.opts?.field === "pattern") want = want.map((v) => (v !== 0 ? 1 : 0));
    const got = await denseOf(r);
    assert.equal(got.length, want.length, c.name);
    for (let i = 0; i < want.length; i++) {
      assert.ok(
        Object.is(got[i], want[i]) || got[i] === want[i],
        `${c.name} [${i}]: ${got[i]} vs ${want[i]}`,
      );
    }
  }
  const f32 = await writeMatrixMarket(csrArray([[0.1]], { dtype: "float32" }));
  assert.match(f32, /\n1 1 0\.1\n$/);
  const prec = await writeMatrixMarket(csrArray([[Math.PI]]), { precision: 4 });
  assert.match(prec, /\n1 1 3\.142\n$/);
});

Deno.test("writeMatrixMarket: duplicates summed; error paths", async () => {
  const A = cooArray({ row: [0, 0], col: [1, 1], data: [1, 2] }, { shape: [2, 2] });
  assert.match(await writeMatrixMarket(A), /\n2 2 1\n1 2 3\n$/);
  await assert.rejects(
    () => writeMatrixMarket(csrArray([[1, 2], [3, 4]]), { symmetry: "symmetric" }),
    RangeError,
  );
  await assert.rejects(
    () => writeMatrixMarket(csrArray([[1.5]]), { field: "integer" }),
    /not an integer/,
  );
  await assert.rejects(
    () => writeMatrixMarket(csrArray([[[1]], [[2]]])),
    /hold one 2-D matrix; got shape \(2, 1, 1\)/,
  );
  await assert.rejects(
    () => writeMatrixMarket(cpu.asarray([[1]]), { field: "pattern" }),
    RangeError,
  );
  // deno-lint-ignore no-explicit-any
  await assert.rejects(() => writeMatrixMarket([[1]] as any), TypeError);
  await assert.rejects(
    () => writeMatrixMarket(csrArray([[1]]), { symmetry: "odd" as unknown as "general" }),
    TypeError,
  );
  await assert.rejects(() => writeMatrixMarket(csrArray([[1]]), { precision: 0 }), RangeError);
});

Deno.test("readMatrixMarket: lenient where SciPy is (case, CRLF, blank lines, D exponents, inf)", async () => {
  const text = "%%matrixmarket MATRIX Coordinate Double General\r\n% c\r\n\r\n2 2 3\r\n" +
    "1 1 1.0D+00\r\n\r\n2 1 -inf\r\n  2   2   .5e1  \r\n";
  const r = readMatrixMarket(text);
  assert.equal(r.field, "real");
  assert.deepEqual(await denseOf(r), [1, 0, -Infinity, 5]);
  const h = readMatrixMarket("%%MatrixMarket matrix coordinate real hermitian\n2 2 1\n2 1 3\n");
  assert.deepEqual(await denseOf(h), [0, 3, 3, 0]);
  const f = readMatrixMarket("%%MatrixMarket matrix array real general\n1 1\n2", {
    dtype: "float32",
  });
  assert.equal(f.matrix.dtype, "float32");
});

Deno.test("readMatrixMarket: malformed input names the line", () => {
  const bad: [string, ErrorConstructor | RangeErrorConstructor | TypeErrorConstructor, RegExp][] = [
    ["", RangeError, /line 1: expected the banner/],
    ["hello\n1 1 1\n", RangeError, /line 1: expected the banner/],
    ["%%MatrixMarket matrix coordinate real\n", RangeError, /line 1: the banner needs 5 words/],
    [
      "%%MatrixMarket matrix coordinate complex general\n",
      TypeError,
      /line 1: field "complex" is not supported/,
    ],
    ["%%MatrixMarket vector coordinate real general\n", TypeError, /line 1: object "vector"/],
    ["%%MatrixMarket matrix sparse real general\n", TypeError, /line 1: format "sparse"/],
    ["%%MatrixMarket matrix coordinate real upper\n", TypeError, /line 1: symmetry "upper"/],
    [
      "%%MatrixMarket matrix array pattern general\n",
      RangeError,
      /line 1: the array format cannot have field pattern/,
    ],
    [
      "%%MatrixMarket matrix coordinate real general\n% only comments\n",
      RangeError,
      /line 3: the size line is missing/,
    ],
    [
      "%%MatrixMarket matrix coordinate real general\n2 2\n",
      RangeError,
      /line 2: the size line needs 3 integers/,
    ],
    [
      "%%MatrixMarket matrix array real general\n2 2 4\n",
      RangeError,
      /line 2: the size line needs 2 integers/,
    ],
    [
      "%%MatrixMarket matrix coordinate real general\n2 x 1\n1 1 1\n",
      TypeError,
      /line 2: column count "x" is not an integer/,
    ],
    [
      "%%MatrixMarket matrix coordinate real general\n-2 2 1\n1 1 1\n",
      RangeError,
      /line 2: row count -2 is negative/,
    ],
    [
      "%%MatrixMarket matrix coordinate real general\n3000000000 2 1\n1 1 1\n",
      RangeError,
      /line 2: row count 3000000000 exceeds the int32 limit/,
    ],
    [
      "%%MatrixMarket matrix coordinate real symmetric\n2 3 1\n1 1 1\n",
      RangeError,
      /line 2: a symmetric matrix must be square/,
    ],
    [
      "%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1.000000000\n",
      RangeError,
      /line 4: file ends after 1 of 2 entries/,
    ],
    [
      "%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1\n",
      RangeError,
      /line 2: the size line announces 2 entries but only 6 characters follow/,
    ],
    [
      "%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 1\n2 2 2\n",
      RangeError,
      /line 4: extra entry after the 1 declared/,
    ],
    [
      "%%MatrixMarket matrix coordinate real general\n2 2 1\n3 1 1\n",
      RangeError,
      /line 3: row index 3 is out of range 1\.\.2/,
    ],
    [
      "%%MatrixMarket matrix coordinate real general\n2 2 1\n1 0 1\n",
      RangeError,
      /line 3: column index 0 is out of range 1\.\.2/,
    ],
    [
      "%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 abc\n",
      TypeError,
      /line 3: "abc" is not a number/,
    ],
    [
      "%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1         \n",
      RangeError,
      /line 3: expected 3 tokens \(row col value\), got 2/,
    ],
    [
      "%%MatrixMarket matrix coordinate pattern general\n2 2 1\n1 1 5\n",
      RangeError,
      /line 3: expected 2 tokens \(row col\)/,
    ],
    [
      "%%MatrixMarket matrix coordinate integer general\n2 2 1\n1 1 1.5\n",
      TypeError,
      /line 3: "1.5" is not an integer \(field is integer\)/,
    ],
    [
      "%%MatrixMarket matrix coordinate integer general\n2 2 1\n1 1 99999999999\n",
      RangeError,
      /line 3: 99999999999 does not fit in int32/,
    ],
    [
      "%%MatrixMarket matrix coordinate integer general\n2 2 1\n1 1 99999999999999999999\n",
      RangeError,
      /line 3: integer .* is not exactly representable/,
    ],
    [
      "%%MatrixMarket matrix coordinate real skew-symmetric\n2 2 1\n1 1 1\n",
      RangeError,
      /line 3: a skew-symmetric file stores no diagonal entries/,
    ],
    [
      "%%MatrixMarket matrix coordinate real general\n2 2 1000000\n1 1 1\n",
      RangeError,
      /line 2: the size line announces 1000000 entries but only 6 characters follow/,
    ],
    [
      "%%MatrixMarket matrix array real general\n100000 100000\n1\n",
      RangeError,
      /line 2: the size line announces 10000000000 values/,
    ],
    [
      "%%MatrixMarket matrix array real general\n2 1\n1.0000\n",
      RangeError,
      /line 4: file ends after 1 of 2 values/,
    ],
    [
      "%%MatrixMarket matrix array real general\n1 1\n1 2\n",
      RangeError,
      /line 3: expected one value per line/,
    ],
    [
      "%%MatrixMarket matrix array real general\n1 1\n1\n2\n",
      RangeError,
      /line 4: extra data after the 1 declared values/,
    ],
  ];
  for (const [text, Err, re] of bad) {
    assert.throws(
      () => readMatrixMarket(text),
      (e: unknown) => e instanceof Err && re.test((e as Error).message),
      `${JSON.stringify(text)} should fail with ${Err.name} ${re}`,
    );
  }
  // deno-lint-ignore no-explicit-any
  assert.throws(() => readMatrixMarket(42 as any), TypeError);
});

Deno.test("readMatrixMarket fuzz: mutations never hang and only throw TypeError/RangeError", async () => {
  const seeds: string[] = [];
  for await (const e of Deno.readDir(HERE)) {
    if (e.name.endsWith(".mtx")) seeds.push(await Deno.readTextFile(new URL(e.name, HERE)));
  }
  seeds.push(await writeMatrixMarket(csrArray([[0, 3, -1], [-3, 0, 0], [1, 0, 0]])));
  const rand = mulberry32(2024);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)];
  const tokens = [
    "1e308",
    "1e999",
    "-0",
    "nan",
    "99999999999",
    "2147483648",
    "0",
    "-1",
    "x",
    "",
    " ",
    "\t",
    "%",
    "%%MatrixMarket",
    "\u0000",
    "\uFFFD",
    "3.5",
    "1D5",
  ];
  const mutate = (s: string): string => {
    let t = s;
    const n = 1 + Math.floor(rand() * 4);
    for (let m = 0; m < n; m++) {
      const lines = t.split("\n");
      const op = Math.floor(rand() * 7);
      const i = Math.floor(rand() * Math.max(1, t.length));
      if (op === 0) {
        t = t.slice(0, i) + String.fromCharCode(Math.floor(rand() * 128)) + t.slice(i + 1);
      } else if (op === 1) t = t.slice(0, i);
      else if (op === 2) {
        const k = Math.floor(rand() * lines.length);
        lines.splice(k, 0, lines[k]);
        t = lines.join("\n");
      } else if (op === 3) {
        lines.splice(Math.floor(rand() * lines.length), 1);
        t = lines.join("\n");
      } else if (op === 4) {
        const k = Math.floor(rand() * lines.length);
        const w = lines[k].split(" ");
        w[Math.floor(rand() * w.length)] = pick(tokens);
        lines[k] = w.join(" ");
        t = lines.join("\n");
      } else if (op === 5) t = t.slice(0, i) + pick(tokens) + t.slice(i);
      else t = t.slice(0, i) + t.slice(i + 1 + Math.floor(rand() * 5));
    }
    return t;
  };
  const start = performance.now();
  let runs = 0, ok = 0;
  while (performance.now() - start < 2500) {
    const text = mutate(pick(seeds));
    const input = rand() < 0.5 ? text : new TextEncoder().encode(text);
    runs++;
    let r: MatrixMarketResult<CpuArray>;
    try {
      r = readMatrixMarket(input);
    } catch (e) {
      if (!(e instanceof TypeError || e instanceof RangeError)) {
        throw new Error(
          `unexpected ${(e as Error)?.constructor?.name} for ${JSON.stringify(text)}: ${e}`,
        );
      }
      assert.match((e as Error).message, /line \d+/);
      continue;
    }
    ok++;
    // Whatever parses must be self-consistent.
    if (r.format === "coordinate") {
      assert.equal(r.matrix.row.length, r.matrix.nnz);
      if (r.shape[0] * r.shape[1] < 1e5) {
        const d = await cpu.toHost(r.matrix.toDense());
        assert.equal(d.length, r.shape[0] * r.shape[1]);
      }
    } else assert.deepEqual(r.matrix.shape, [...r.shape]);
  }
  assert.ok(runs > 200, `only ${runs} fuzz runs`);
  assert.ok(ok > 0 && ok < runs, `mutations should both parse and fail (${ok}/${runs})`);
});
