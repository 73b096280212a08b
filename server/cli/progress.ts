/** A progress bar on stderr for long work, shown only to a person at a terminal (cli-progress). */
import { SingleBar, Presets } from 'cli-progress';

export class Progress {
  private readonly bar: SingleBar | undefined;

  constructor(label: string, total: number, minTotal = 2000) {
    if (!process.stderr.isTTY || total < minTotal) return;
    this.bar = new SingleBar(
      { format: `${label} [{bar}] {value}/{total} {percentage}% | {eta_formatted} left`, stream: process.stderr, hideCursor: true },
      Presets.shades_classic,
    );
    this.bar.start(total, 0);
  }

  update(value: number): void {
    this.bar?.update(value);
  }

  done(): void {
    this.bar?.stop();
  }
}
