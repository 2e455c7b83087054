package org.fedbeam.pipelines.cli;

import java.util.List;
import java.util.Locale;

/**
 * One flag of a command as a user reads it in {@code --help} and as the parser checks it: its
 * kebab-case name, the kind of value it takes, the placeholder shown for the value, its default,
 * whether it is required, and what it means.
 *
 * @param name the flag without its dashes, kebab-case ({@code batch-size})
 * @param kind what the value must be
 * @param placeholder what {@code --help} shows for the value ({@code N}, {@code DIR}); empty for a switch
 * @param defaultText the default as text, or {@code null} for none
 * @param required whether the command refuses to run without it
 * @param text what it means, one sentence or two
 */
public record Option(String name, Kind kind, String placeholder, String defaultText, boolean required, String text) {
  /** What a flag's value must be. */
  public enum Kind {
    /** Any text. */
    TEXT,
    /** A whole number ({@code 64}). */
    WHOLE,
    /** A number ({@code 0.05}, {@code 1e-5}). */
    NUMBER,
    /** A switch: given alone it means true; {@code --no-NAME} or {@code =false} turns it off. */
    SWITCH,
    /** One of the values the placeholder lists, separated by {@code |}. */
    CHOICE,
    /** Something Beam checks itself (a runner, a list, a class). */
    OTHER
  }

  /** A flag taking text. */
  public static Option text(String name, String placeholder, String text) {
    return new Option(name, Kind.TEXT, placeholder, null, false, text);
  }

  /** A required flag taking text. */
  public static Option required(String name, String placeholder, String text) {
    return new Option(name, Kind.TEXT, placeholder, null, true, text);
  }

  /** A switch, off unless given. */
  public static Option flag(String name, String text) {
    return new Option(name, Kind.SWITCH, "", null, false, text);
  }

  /** The same flag with a default. */
  public Option withDefault(String value) {
    return new Option(name, kind, placeholder, value, required, text);
  }

  /** The same flag taking {@code kind} of value. */
  public Option ofKind(Kind k) {
    return new Option(name, k, placeholder, defaultText, required, text);
  }

  /** {@code --batch-size}. */
  public String flag() {
    return "--" + name;
  }

  /** The name as Beam spells the property: {@code batchSize}. */
  public String property() {
    return Flags.camel(name);
  }

  /**
   * Checks one value given for this flag (written {@code written} by the user).
   *
   * @throws IllegalArgumentException naming the flag and the value, e.g. {@code --lr must be a number, was 'abc'}
   */
  public void check(String written, String value) {
    if (value == null) {
      if (kind != Kind.SWITCH) {
        throw new IllegalArgumentException(written + " needs a value" + (placeholder.isEmpty() ? "" : " (" + written
            + " " + placeholder + ")"));
      }
      return;
    }
    switch (kind) {
      case WHOLE -> {
        if (!value.trim().matches("[+-]?\\d{1,18}")) {
          throw new IllegalArgumentException(written + " must be a whole number, was '" + value + "'");
        }
      }
      case NUMBER -> {
        if (!Flags.isNumber(value)) {
          throw new IllegalArgumentException(written + " must be a number, was '" + value + "'");
        }
      }
      case SWITCH -> {
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (!v.equals("true") && !v.equals("false")) {
          throw new IllegalArgumentException(written + " must be true or false, was '" + value + "'");
        }
      }
      case CHOICE -> {
        if (!List.of(placeholder.split("\\|")).contains(value.trim())) {
          throw new IllegalArgumentException(written + " must be one of " + String.join(", ", placeholder.split("\\|"))
              + "; was '" + value + "'");
        }
      }
      default -> { }
    }
  }
}
