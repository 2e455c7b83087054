package org.fedbeam.transforms;

import java.util.ArrayList;
import java.util.List;

/** What went wrong, for a person: an exception's cause chain as one readable message. */
public final class Errors {
  private Errors() {}

  /** The distinct messages of an exception and its causes, outermost first. */
  public static String messages(Throwable t) {
    List<String> seen = new ArrayList<>();
    for (Throwable c = t; c != null; c = c.getCause()) {
      String m = c.getMessage();
      if (m != null && !m.isBlank() && seen.stream().noneMatch(s -> s.contains(m))) {
        seen.removeIf(m::contains);
        seen.add(m);
      }
    }
    return seen.isEmpty() ? t.toString() : String.join("\n  caused by: ", seen);
  }
}
