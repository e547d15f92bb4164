/** What every benchmark module under bench/ returns; bench/run.ts gathers them into bench/REPORT.md. */
export interface BenchResult {
  /** Section title in the report. */
  title: string
  /** The section body (Markdown): figures, the baseline measured in the same run, ratios, targets. */
  markdown: string
  /** Headline figures by name, also written to bench/results.json. */
  figures: Record<string, number | string>
}
