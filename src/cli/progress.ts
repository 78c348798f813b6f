// A progress bar on stderr for long runs: only on a terminal and never with --json
// (DESIGN.md §6). cli-progress is loaded only when a bar is actually shown.

export interface Progress {
  /** the engine's `onProgress(done, total)`, or undefined when no bar is shown */
  readonly onProgress?: (done: number, total: number, status?: string) => void;
  stop(): void;
}

const none: Progress = { stop() {} };

export async function progressBar(enabled: boolean, label: string): Promise<Progress> {
  if (!enabled || !process.stderr.isTTY) return none;
  const { default: cliProgress } = await import('cli-progress');
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {percentage}% | {value}/{total} | {duration_formatted}{status}`,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    onProgress(done, total, status) {
      // the engine's status (avi: the ELBO) after the timer
      const payload = { status: status ? ` | ${status}` : '' };
      if (!started) {
        bar.start(total, done, payload);
        started = true;
      } else {
        if (bar.getTotal() !== total) bar.setTotal(total);
        bar.update(done, payload);
      }
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}
