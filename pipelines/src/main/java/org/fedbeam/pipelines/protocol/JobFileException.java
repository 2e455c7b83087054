package org.fedbeam.pipelines.protocol;

import java.util.List;

/**
 * A job file with one or more bad fields: {@link #problems()} lists every one, each naming the file
 * and the field's path ({@code job file J: silos[1].public_key: not a Base64 Ed25519 public key}).
 * The message is the problems, one a line, so a user fixes them all in one go.
 */
public final class JobFileException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private final List<String> problems;

  /** A job file's problems, in the order they were found; at least one. */
  public JobFileException(List<String> problems) {
    super(problems.size() == 1 ? problems.get(0)
        : problems.size() + " problems in the job file:\n  " + String.join("\n  ", problems));
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("a JobFileException needs at least one problem");
    }
    this.problems = List.copyOf(problems);
  }

  /** Every problem, each naming the file and the field. */
  public List<String> problems() {
    return problems;
  }
}
