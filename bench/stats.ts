/**
 * Small statistics helpers for benchmarks: percentiles over recorded samples, and CPU time per call
 * measured with `process.cpuUsage()` over interleaved repetitions (A B C A B C ...), so every operation
 * shares the machine's noise, reported with its spread over the repetitions.
 */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) {
    return Number.NaN
  }
  const sorted = [...samples].sort((a, b) => a - b)
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[index]!
}

export function fmt(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a'
}

/** A figure measured several times: its median, range and relative spread. */
export interface Spread {
  readonly samples: readonly number[]
  readonly median: number
  readonly min: number
  readonly max: number
  /** (max - min) / median. */
  readonly relative: number
}

/** The spread of `samples` (one value per repetition). */
export function spread(samples: readonly number[]): Spread {
  const median = percentile(samples, 50)
  const min = Math.min(...samples)
  const max = Math.max(...samples)
  return { samples, median, min, max, relative: (max - min) / median }
}

/** "median (min..max, ±x %)" with `digits` decimals. */
export function fmtSpread(s: Spread, digits = 1): string {
  return `${fmt(s.median, digits)} (${fmt(s.min, digits)}..${fmt(s.max, digits)}, spread ${fmt(s.relative * 100, 0)} %)`
}

/** One operation to measure; it may return a promise (awaited). */
export interface CpuOperation {
  readonly name: string
  readonly fn: () => unknown
  /** Calls per batch for this operation (a cheap one needs more). @default the plan's `batch` */
  readonly batch?: number
}

/** How {@link cpuPerCall} repeats. */
export interface CpuPlan {
  /** Repetitions reported (each gives one figure per operation). @default 5 */
  readonly repetitions?: number
  /** Rounds per repetition; each round runs every operation once, in a rotating order. */
  readonly rounds: number
  /** Calls per operation and round (enough for ten milliseconds of CPU or more). */
  readonly batch: number
  /** Calls per operation before the first repetition (JIT, connection pools). */
  readonly warmup: number
  /**
   * Which percentile of its rounds a repetition reports. @default 10: the least disturbed rounds, as
   * `timeit` takes the best of its runs; the cost of an operation is what it takes when the machine
   * lets it run, and the other tenants of this shared machine only ever add to it.
   */
  readonly roundPercentile?: number
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}

async function runBatch(fn: () => unknown, calls: number): Promise<void> {
  for (let i = 0; i < calls; i++) {
    const result = fn()
    if (isThenable(result)) {
      await result
    }
  }
}

/**
 * CPU time of the whole process (user + system, every thread: the WebCrypto and libuv pools included)
 * per call of each operation, in µs: one value per repetition. Within a repetition the operations run
 * interleaved in batches, the order rotating every round; the repetition's value for an operation is a
 * low percentile of its rounds (see {@link CpuPlan.roundPercentile}), so a burst of load from another
 * process, or a major GC, that lands in some rounds does not move it.
 */
export async function cpuPerCall(
  operations: readonly CpuOperation[],
  plan: CpuPlan,
): Promise<Map<string, number[]>> {
  for (const { fn } of operations) {
    await runBatch(fn, plan.warmup)
  }
  const perRep = new Map<string, number[]>(operations.map(({ name }) => [name, []]))
  for (let rep = 0; rep < (plan.repetitions ?? 5); rep++) {
    const rounds = operations.map(() => [] as number[])
    for (let round = 0; round < plan.rounds; round++) {
      for (let k = 0; k < operations.length; k++) {
        const index = (round + k) % operations.length
        const operation = operations[index]!
        const calls = operation.batch ?? plan.batch
        const before = process.cpuUsage()
        await runBatch(operation.fn, calls)
        const delta = process.cpuUsage(before)
        rounds[index]!.push((delta.user + delta.system) / calls)
      }
    }
    operations.forEach(({ name }, index) => {
      perRep.get(name)!.push(percentile(rounds[index]!, plan.roundPercentile ?? 10))
    })
  }
  return perRep
}

/** Per repetition, `values[i] / baseline[i]`. */
export function ratios(values: readonly number[], baseline: readonly number[]): number[] {
  return values.map((value, i) => value / baseline[i]!)
}

/** mulberry32: a seeded random source, so spreads and jitter are the same on every run. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Runs `entry` (a TypeScript module under bench/ that prints one JSON line last) in a child Node pinned
 * to one core with `taskset -c 0`, its own children included, and resolves with that JSON. Pinned,
 * every hand-off between threads and processes (WebCrypto and libuv pools, a loopback server) costs the
 * same in every run; unpinned, its CPU cost doubled whenever the other core of this shared 2-core
 * machine was idle or busy in turn (measured: SHA-256 of 300 bytes through WebCrypto 13 µs pinned,
 * 13 to 28 µs unpinned), and the figures did not repeat. Without taskset the child runs unpinned.
 */
export async function runPinned<T>(entry: string): Promise<{ pinned: boolean; result: T }> {
  const { spawn, spawnSync } = await import('node:child_process')
  const pinned = spawnSync('taskset', ['-c', '0', 'true']).status === 0
  const node = [process.execPath, '--expose-gc', '--import', 'tsx', entry]
  const [command, ...args] = pinned ? ['taskset', '-c', '0', ...node] : node
  const child = spawn(command!, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString()
  })
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  const last = out.trim().split('\n').at(-1)
  if (code !== 0 || !last) {
    throw new Error(`${entry} exited with ${code}`)
  }
  return { pinned, result: JSON.parse(last) as T }
}

/** Whether a figure measured over repetitions is kept as a row of the report, and why. */
export interface RowVerdict {
  /** The median is a row of the report, compared between runs. */
  readonly kept: boolean
  /**
   * The median may be judged against its target: its spread is within its margin to it, so the verdict is
   * the same whichever repetition one took (true when there is no target).
   */
  readonly judged: boolean
  /** Why, in words for the report: "a second run's median could move 14 % (more than 10 %)". */
  readonly why: string
}

/**
 * The report's rule for a figure measured as the median of several repetitions in one run (issue 14).
 * - With a target, its verdict stands only if its spread (max - min) over the repetitions does not exceed
 *   its margin to the target (`judged`); otherwise the row is dropped.
 * - Its value is a row only if its own repetitions predict that a second run's median lands within
 *   `tolerance` of this one, with three standard errors to spare: the standard error of a median of n
 *   samples is about 1.2533 sd / sqrt(n), the difference of two such medians has sqrt(2) times that, and
 *   3 times that must stay within `tolerance` of the median. (Two standard errors let 3 of 104 kept rows
 *   move more than 10 % between two runs of 30 Nov 2026: a run's own spread does not see what changes
 *   between runs on a shared machine.)
 * A figure from fewer than 3 repetitions has no spread to judge and is never kept.
 */
export function keepRow(s: Spread, options: { target?: number; tolerance?: number } = {}): RowVerdict {
  const n = s.samples.length
  if (n < 3) {
    return { kept: false, judged: false, why: `${n} repetition${n === 1 ? '' : 's'}: no spread to judge` }
  }
  const range = s.max - s.min
  if (options.target !== undefined) {
    const margin = Math.abs(options.target - s.median)
    if (range > margin) {
      return {
        kept: false,
        judged: false,
        why: `spread ${fmt(range, 0)} exceeds the margin of ${fmt(margin, 0)} to the target`,
      }
    }
  }
  const tolerance = options.tolerance ?? 0.1
  const mean = s.samples.reduce((a, b) => a + b, 0) / n
  const sd = Math.sqrt(s.samples.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1))
  const predicted = (3 * Math.SQRT2 * 1.2533 * sd) / Math.sqrt(n) / Math.abs(s.median)
  const verdict = options.target === undefined ? '' : ', its verdict against the target stands'
  return predicted <= tolerance
    ? { kept: true, judged: true, why: `a second run's median predicted within ${fmt(predicted * 100, 0)} %` }
    : {
        kept: false,
        judged: true,
        why: `a second run's median could move ${fmt(predicted * 100, 0)} % (more than ${fmt(tolerance * 100, 0)} %)${verdict}`,
      }
}

/** A target's verdicts, as the figures carry them (bench/compare.ts compares them as rows). */
export const VERDICTS = ['met', 'NOT met', 'not judged'] as const

/** One of {@link VERDICTS}. */
export type Verdict = (typeof VERDICTS)[number]

/** A target's verdict on a median: `not judged` when its spread exceeds its margin ({@link keepRow}). */
export function verdictOn(median: number, target: number, judged: boolean): Verdict {
  if (!judged) {
    return 'not judged'
  }
  return median <= target ? 'met' : 'NOT met'
}

/**
 * A section's headline figures under {@link keepRow}: a kept figure goes into `figures` (which
 * bench/compare.ts compares between runs) as its median; one not kept is only listed, with why, in the
 * report (`lines()`) and by name in the `notKept` label, so a row kept in one run and not in the other
 * shows in the comparison.
 */
export class KeptFigures {
  readonly figures: Record<string, number | string> = {}
  readonly #notKept: { name: string; s?: Spread; why: string }[] = []

  /** Judges `samples` and keeps their median (rounded to `digits`) under `name`, or lists it. */
  add(
    name: string,
    samples: readonly number[],
    options: { target?: number; digits?: number } = {},
  ): RowVerdict {
    const s = spread(samples)
    const verdict = keepRow(s, options)
    if (verdict.kept) {
      this.figures[name] = Number(s.median.toFixed(options.digits ?? 0))
    } else {
      this.#notKept.push({ name, s, why: verdict.why })
    }
    return verdict
  }

  /**
   * An absolute CPU time per call, shown for context and never a row: it moves with the load other
   * tenants put on this shared machine, while its ratio to a baseline measured interleaved is the row.
   */
  absoluteCpu(name: string, value: number): void {
    this.context(
      name,
      value,
      'absolute CPU per call, which moves with the load of other tenants: its ratio to the baseline, measured interleaved, is the row',
    )
  }

  /** A figure shown for context and never a row, with why. */
  context(name: string, value: number, why: string): void {
    this.#notKept.push({ name, why: `${fmt(value, 1)}, ${why}` })
  }

  /** A figure built on others (a ratio of two medians): kept only when every one of them was. */
  derive(name: string, value: number, from: readonly string[]): void {
    const missing = from.filter((f) => !(f in this.figures))
    if (missing.length === 0) {
      this.figures[name] = value
    } else {
      this.#notKept.push({ name, why: `${fmt(value, 2)}, built on ${missing.join(' and ')}, not kept` })
    }
  }

  /** Names not kept, for the section's `notKept` figure ('' when every row was kept). */
  get notKept(): string {
    return this.#notKept.map((n) => n.name).join(', ')
  }

  /** Report lines naming every figure not kept, with its repetitions and why. */
  lines(digits = 0): string[] {
    if (this.#notKept.length === 0) {
      return [
        "- Every figure of this section passed the report's rule for a kept row (bench/stats.ts `keepRow`).",
      ]
    }
    return [
      `- Not kept as rows by the report's rule (bench/stats.ts \`keepRow\`), shown with their repetitions and not compared between runs:`,
      ...this.#notKept.map(({ name, s, why }) =>
        s === undefined
          ? `  - \`${name}\`: ${why}.`
          : `  - \`${name}\`: ${fmtSpread(s, digits)}, runs ${s.samples.map((v) => fmt(v, digits)).join(', ')}: ${why}.`,
      ),
    ]
  }
}
