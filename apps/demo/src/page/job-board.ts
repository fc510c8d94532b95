import type { JobOutcome, JobUpdate } from '@org/ws-client';

/** What a row shows: a job status, or how the watch ended without one (`expired`, `error`). */
export type RowStatus = JobUpdate['status'] | 'waiting' | 'expired' | 'error';

/** Rows kept on the page; the oldest finished ones go first. */
const MAX_ROWS = 60;

const TERMINAL_ROWS: ReadonlySet<RowStatus> = new Set<RowStatus>(['completed', 'failed', 'cancelled', 'expired', 'error']);

/** Counts of rows per status, for the summary line. */
export type BoardSummary = Partial<Record<RowStatus, number>>;

interface Row {
  element: HTMLLIElement;
  status: HTMLElement;
  seq: HTMLElement;
  fill: HTMLElement;
  detail: HTMLElement;
}

/** Short label of a job id: its counter, e.g. `#12` for `job-lx3k-12`. */
function shortId(jobId: string): string {
  const counter = jobId.split('-').at(-1);
  return counter ? `#${counter}` : jobId;
}

/** Text under the progress bar: percent and the result or error data. */
function detailOf(update: JobUpdate): string {
  const percent = `${Math.round(update.progress ?? 0)} %`;
  const data = update.data;
  if (data && typeof data === 'object' && !Array.isArray(data)) {
    if (typeof data.result === 'string') return `${percent} · ${data.result}`;
    if (typeof data.error === 'string') return `${percent} · ${data.error}`;
  }
  return percent;
}

/**
 * The list of watched jobs: one row per job with status pill, `seq` and a progress bar.
 * Rows carry `data-job-id`, `data-status`, `data-seq` and `data-seqs` (every `seq` delivered, in order:
 * at most the job's steps + 2, `queued` and the terminal update included) for styling and for the browser test.
 */
export class JobBoard {
  private readonly rows = new Map<string, Row>();

  constructor(
    private readonly list: HTMLOListElement,
    private readonly onChange: (summary: BoardSummary) => void,
  ) {}

  /** Adds a row for a job that has no update yet. */
  add(jobId: string): void {
    if (this.rows.has(jobId)) return;
    const element = document.createElement('li');
    element.className = 'job';
    element.dataset.jobId = jobId;
    element.innerHTML = `
      <div class="job-top">
        <span class="job-id"></span>
        <span class="pill"></span>
        <span class="seq"></span>
      </div>
      <div class="bar" role="progressbar" aria-valuemin="0" aria-valuemax="100"><div class="bar-fill"></div></div>
      <div class="job-detail"></div>`;
    const row: Row = {
      element,
      status: element.querySelector('.pill')!,
      seq: element.querySelector('.seq')!,
      fill: element.querySelector('.bar-fill')!,
      detail: element.querySelector('.job-detail')!,
    };
    element.querySelector('.job-id')!.textContent = shortId(jobId);
    element.querySelector('.job-id')!.setAttribute('title', jobId);
    this.rows.set(jobId, row);
    this.list.prepend(element);
    this.setStatus(row, 'waiting');
    row.seq.textContent = 'seq –';
    row.detail.textContent = 'waiting for the first update';
    this.trim();
    this.changed();
  }

  /** Shows an update (the client delivers them in `seq` order, never twice). */
  update(update: JobUpdate): void {
    const row = this.rows.get(update.jobId);
    if (!row) return;
    this.setStatus(row, update.status);
    row.element.dataset.seq = String(update.seq);
    row.element.dataset.seqs = row.element.dataset.seqs ? `${row.element.dataset.seqs} ${update.seq}` : String(update.seq);
    row.seq.textContent = `seq ${update.seq}`;
    const progress = update.progress ?? 0;
    row.fill.style.width = `${progress}%`;
    row.fill.parentElement?.setAttribute('aria-valuenow', String(progress));
    row.detail.textContent = detailOf(update);
    this.changed();
  }

  /**
   * Marks how the watch ended when it ended without a terminal update: `expired` when the server no longer
   * has the job (it dropped it as stale, or it is gone, e.g. an in-memory server restarted), else `error`.
   */
  end(jobId: string, outcome: JobOutcome): void {
    const row = this.rows.get(jobId);
    if (!row || outcome.kind === 'terminal') return;
    if (outcome.kind === 'error') {
      this.fail(jobId, outcome.error.message);
      return;
    }
    this.setStatus(row, 'expired');
    row.detail.textContent =
      outcome.reason === 'gone'
        ? `job ${jobId} is gone from the server after seq ${outcome.lastSeq}`
        : `the server dropped this job after seq ${outcome.lastSeq} (${outcome.reason})`;
    this.changed();
  }

  /** Marks a row as `error` with the reason, e.g. when the job could not be watched at all. */
  fail(jobId: string, message: string): void {
    const row = this.rows.get(jobId);
    if (!row) return;
    this.setStatus(row, 'error');
    row.detail.textContent = message;
    this.changed();
  }

  /** Removes finished rows; returns their job ids. */
  clearFinished(): string[] {
    const removed = [...this.rows].filter(([, row]) => TERMINAL_ROWS.has(row.element.dataset.status as RowStatus)).map(([jobId]) => jobId);
    for (const jobId of removed) this.remove(jobId);
    this.changed();
    return removed;
  }

  private remove(jobId: string): void {
    this.rows.get(jobId)?.element.remove();
    this.rows.delete(jobId);
  }

  private trim(): void {
    for (const [jobId, row] of this.rows) {
      if (this.rows.size <= MAX_ROWS) return;
      if (TERMINAL_ROWS.has(row.element.dataset.status as RowStatus)) this.remove(jobId);
    }
  }

  private setStatus(row: Row, status: RowStatus): void {
    row.element.dataset.status = status;
    row.status.textContent = status;
  }

  private changed(): void {
    const summary: BoardSummary = {};
    for (const row of this.rows.values()) {
      const status = row.element.dataset.status as RowStatus;
      summary[status] = (summary[status] ?? 0) + 1;
    }
    this.onChange(summary);
  }
}
