/**
 * mocha's spec reporter plus the plain `N passed, N failed` line the workplace CI reads
 * (mocha's own "N passing" is not read).
 */
import Mocha from 'mocha';

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const s = runner.stats;
      if (!s) return;
      const skipped = s.pending > 0 ? `, ${s.pending} skipped` : '';
      // Registered after Spec's own epilogue listener, so it prints last, alone on its line
      // (synchronously: mocha may exit right after this event).
      console.log(`\n${s.passes} passed, ${s.failures} failed${skipped}`);
    });
  }
}

export = SummaryReporter;
