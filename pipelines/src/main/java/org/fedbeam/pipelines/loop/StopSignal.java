package org.fedbeam.pipelines.loop;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How a run is asked to stop between rounds: by SIGINT (Ctrl-C) or SIGTERM (a scheduler, {@code kill}),
 * or by a caller. The first signal lets the round in hand finish (its checkpoint is the place a
 * resume continues from) and stops the loop before the next round; a second signal abandons the
 * round in hand at once: the process exits, and the run stays at its last completed round, which a
 * resume continues from (a round is committed only when its checkpoint is written, so an abandoned
 * round leaves nothing that a resume would take for complete).
 */
public final class StopSignal implements AutoCloseable {
  private final PrintStream err;
  private final String resumeCommand;
  private final List<Runnable> restore = new ArrayList<>();
  private volatile String requested;
  private volatile int inHand;
  private volatile int lastCompleted;

  private StopSignal(PrintStream err, String resumeCommand) {
    this.err = err;
    this.resumeCommand = resumeCommand;
  }

  /** A signal nobody sends: the run stops only when it is done. */
  public static StopSignal none() {
    return new StopSignal(System.err, null);
  }

  /**
   * Handles SIGINT and SIGTERM for this process until {@link #close()}, printing to {@code err}
   * what happens and {@code resumeCommand}, the command that continues the run.
   */
  @SuppressWarnings("restriction")
  public static StopSignal onSignals(PrintStream err, String resumeCommand) {
    StopSignal stop = new StopSignal(err, resumeCommand);
    for (String name : List.of("INT", "TERM")) {
      try {
        sun.misc.Signal signal = new sun.misc.Signal(name);
        sun.misc.SignalHandler previous = sun.misc.Signal.handle(signal, s -> stop.received("SIG" + s.getName(),
            128 + s.getNumber()));
        stop.restore.add(() -> sun.misc.Signal.handle(signal, previous));
      } catch (IllegalArgumentException e) {
        // the JVM was started with -Xrs or the signal is in use: keep its default behaviour
      }
    }
    return stop;
  }

  /** Asks the loop to stop after the round in hand, as a first signal would. */
  public void request(String why) {
    requested = why;
  }

  /** Why a stop was asked for, or null. */
  public String requested() {
    return requested;
  }

  /** The loop is running {@code round}; {@code completed} is the last committed round. */
  void running(int round, int completed) {
    inHand = round;
    lastCompleted = completed;
  }

  /** The command that continues the run, or null if none was given. */
  public String resumeCommand() {
    return resumeCommand;
  }

  private void received(String name, int exitCode) {
    if (requested == null) {
      requested = name;
      err.printf(Locale.ROOT, "%nfedbeam: %s: finishing round %d (in hand), then stopping; the run is kept and can be"
          + " resumed. Send it again to abandon round %d now.%n", name, inHand, inHand);
      err.flush();
      return;
    }
    err.printf(Locale.ROOT, "%nfedbeam: %s again: abandoning round %d; the run stays at round %d (its last checkpoint)%s%n",
        name, inHand, lastCompleted, resumeCommand == null ? "" : "; continue it with: " + resumeCommand);
    err.flush();
    // System.exit runs the shutdown hooks (Flink's clean-up); it must not run on the signal's own thread's stack
    // while that thread is needed, so exit from a new thread
    new Thread(() -> System.exit(exitCode), "fedbeam-abandon").start();
  }

  @Override
  public void close() {
    restore.forEach(Runnable::run);
    restore.clear();
  }
}
