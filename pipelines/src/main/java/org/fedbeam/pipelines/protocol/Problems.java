package org.fedbeam.pipelines.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Collects the problems of one reading of a document, so the reader goes on past the first bad
 * field and reports them all ({@link JobFileException}). Each check runs in {@link #get}: an
 * {@link IllegalArgumentException} it throws is one problem, and the reading continues with a
 * fallback value.
 */
final class Problems {
  private final List<String> found = new ArrayList<>();

  /** {@code read}'s value, or {@code fallback} after recording the problem it threw. */
  <T> T get(Supplier<T> read, T fallback) {
    try {
      return read.get();
    } catch (JobFileException e) {
      found.addAll(e.problems());
      return fallback;
    } catch (IllegalArgumentException e) {
      add(e.getMessage());
      return fallback;
    }
  }

  /** Runs {@code check}; whether it passed (a failure is recorded). */
  boolean check(Runnable check) {
    int before = found.size();
    get(() -> {
      check.run();
      return null;
    }, null);
    return found.size() == before;
  }

  void add(String problem) {
    if (!found.contains(problem)) {
      found.add(problem);
    }
  }

  int size() {
    return found.size();
  }

  /** Throws every problem found, if any. */
  void throwIfAny() {
    if (!found.isEmpty()) {
      throw new JobFileException(found);
    }
  }
}
