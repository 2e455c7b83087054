package org.fedbeam.pipelines.cli;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reading a command's flags: {@code --batch-size 64}, {@code --batch-size=64}, {@code --batchSize=64}
 * and {@code --no-baselines} all work; every error names the flag as the user wrote it and the value
 * ({@code --lr must be a number, was 'abc'}), and an unknown flag gets the closest known one
 * ({@code unknown flag --lernrate for train; did you mean --lr?}).
 */
public final class Flags {
  private Flags() {}

  /**
   * One flag as given.
   *
   * @param written the flag as the user wrote it, without a value ({@code --batch-size})
   * @param name Beam's spelling of it ({@code batchSize})
   * @param value its value, or {@code null} for a bare switch
   */
  public record Arg(String written, String name, String value) {
    /** {@code --batchSize=64}, or {@code --batchSize} for a bare switch. */
    public String beam() {
      return "--" + name + (value == null ? "" : "=" + value);
    }
  }

  /** A flag name a person might try, and the flag it means (for "did you mean"; never accepted as is). */
  private static final Map<String, String> ALIASES = Map.ofEntries(Map.entry("learning-rate", "lr"),
      Map.entry("learningrate", "lr"), Map.entry("batch", "batch-size"), Map.entry("clients", "silos"),
      Map.entry("num-clients", "silos"), Map.entry("parties", "silos"), Map.entry("num-rounds", "rounds"),
      Map.entry("local-epochs", "epochs"), Map.entry("out", "output"), Map.entry("output-dir", "output"),
      Map.entry("data", "dataset"), Map.entry("epsilon", "dp-epsilon"), Map.entry("delta", "dp-delta"),
      Map.entry("master", "flink-master"));

  /**
   * The flags in {@code args}, in order.
   *
   * @throws IllegalArgumentException for an argument that is not a flag
   */
  public static List<Arg> parse(List<String> args) {
    List<Arg> out = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (!arg.startsWith("--") || arg.length() == 2) {
        throw new IllegalArgumentException("unexpected argument '" + arg + "': flags start with --");
      }
      String body = arg.substring(2);
      int eq = body.indexOf('=');
      String name = eq < 0 ? body : body.substring(0, eq);
      String value = eq < 0 ? null : body.substring(eq + 1);
      if (value == null && name.startsWith("no-")) {
        out.add(new Arg("--" + name, camel(name.substring(3)), "false"));
        continue;
      }
      if (value == null && i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
        value = args.get(++i);
      }
      out.add(new Arg("--" + name, camel(name), value));
    }
    return out;
  }

  /** {@code fashion-mnist-dir} -> {@code fashionMnistDir}; a camelCase name is kept. */
  public static String camel(String kebab) {
    StringBuilder sb = new StringBuilder();
    boolean upper = false;
    for (char c : kebab.toCharArray()) {
      if (c == '-') {
        upper = true;
      } else {
        sb.append(upper ? Character.toUpperCase(c) : c);
        upper = false;
      }
    }
    return sb.toString();
  }

  /** {@code fashionMnistDir} -> {@code fashion-mnist-dir}. */
  public static String kebab(String camel) {
    StringBuilder sb = new StringBuilder();
    for (char c : camel.toCharArray()) {
      if (Character.isUpperCase(c)) {
        sb.append('-').append(Character.toLowerCase(c));
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  /** Whether {@code s} is a decimal number as a person writes one ({@code 0.05}, {@code -1}, {@code 1e-5}). */
  public static boolean isNumber(String s) {
    return s.trim().matches("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
  }

  /**
   * {@code args} checked against {@code options} (by Beam's spelling of the name): each flag known,
   * given once, with a value of its kind, and every required flag present.
   *
   * @param command the command, for messages ({@code train}, {@code cluster up})
   * @param own the command's own flags, the only ones suggested for a typo
   * @param others further flags the command accepts (Beam's and Flink's), suggested only when no own flag is close
   * @throws IllegalArgumentException naming the flag and the value
   */
  public static void check(String command, List<Arg> args, Collection<Option> own, Collection<Option> others) {
    Map<String, Option> known = new LinkedHashMap<>();
    others.forEach(o -> known.put(o.property(), o));
    own.forEach(o -> known.put(o.property(), o));
    Map<String, Arg> seen = new LinkedHashMap<>();
    for (Arg a : args) {
      Option o = known.get(a.name());
      if (o == null) {
        throw new IllegalArgumentException(unknown(command, a.written(), own, others));
      }
      Arg before = seen.put(a.name(), a);
      if (before != null && o.kind() != Option.Kind.OTHER) {
        throw new IllegalArgumentException(a.written() + " given twice ('" + before.value() + "' and '" + a.value() + "')");
      }
      o.check(a.written(), a.value());
    }
    for (Option o : own) {
      if (o.required() && !seen.containsKey(o.property())) {
        throw new IllegalArgumentException(o.flag() + " is required");
      }
    }
  }

  /**
   * The flags of a command without an options interface, checked against {@code options}: each known,
   * given once, of its kind, the required ones present.
   *
   * @return each given flag's value by its kebab-case name ({@code "true"} for a bare switch)
   * @throws IllegalArgumentException naming the flag and the value
   */
  public static Map<String, String> values(String command, List<String> args, List<Option> options) {
    List<Arg> parsed = parse(args);
    check(command, parsed, options, List.of());
    Map<String, String> out = new LinkedHashMap<>();
    for (Arg a : parsed) {
      Option o = options.stream().filter(x -> x.property().equals(a.name())).findFirst().orElseThrow();
      out.put(o.name(), a.value() == null ? "true" : a.value());
    }
    return out;
  }

  /** {@code unknown flag --lernrate for train; did you mean --lr?} (the hint only when a flag is close). */
  public static String unknown(String command, String written, Collection<Option> own, Collection<Option> others) {
    String typed = kebab(written.replaceFirst("^--(no-)?", ""));
    // the command's own flags win a tie with Beam's and Flink's
    String best = closest(typed, own.stream().map(Option::name).toList());
    String other = closest(typed, others.stream().map(Option::name).toList());
    if (other != null && (best == null || score(typed, other) < score(typed, best))) {
      best = other;
    }
    return "unknown flag " + written + " for " + command
        + (best == null ? "; 'fedbeam " + command + " --help' lists the flags" : "; did you mean --" + best + "?");
  }

  /** The candidate closest to {@code typed} by edit distance (or by a known alias), if close enough. */
  static String closest(String typed, List<String> candidates) {
    String best = null;
    double bestScore = 0.5001; // at most half the letters different
    for (String c : candidates) {
      double score = score(typed, c);
      if (score < bestScore) {
        bestScore = score;
        best = c;
      }
    }
    return best;
  }

  /** How far {@code typed} is from {@code flag} or one of its aliases: the share of letters that differ. */
  private static double score(String typed, String flag) {
    double best = share(typed, flag);
    for (Map.Entry<String, String> alias : ALIASES.entrySet()) {
      if (alias.getValue().equals(flag)) {
        best = Math.min(best, share(typed, alias.getKey()));
      }
    }
    return best;
  }

  /** The share of letters that differ between two names, hyphens and case aside (0 the same, 1 nothing alike). */
  private static double share(String x, String y) {
    String a = x.replace("-", "").toLowerCase(Locale.ROOT);
    String b = y.replace("-", "").toLowerCase(Locale.ROOT);
    return (double) distance(a, b) / Math.max(1, Math.max(a.length(), b.length()));
  }

  /** Edit distance with adjacent transpositions (optimal string alignment). */
  static int distance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }

  private static final Pattern MISSING = Pattern.compile("Missing required value for \\[(--\\w+),");
  private static final Pattern NO_PROPERTY = Pattern.compile("missing a property named '(\\w+)'");
  private static final Pattern RUNNER = Pattern.compile("Unknown 'runner' specified '([^']*)', supported pipeline runners \\[([^]]*)]");
  private static final Pattern BAD_VALUE = Pattern.compile("value of type `([^`]*)` from String \"([^\"]*)\""
      + "(?:: not one of the values accepted for Enum class: \\[([^]]*)])?");
  private static final Pattern CLASS_NAME = Pattern.compile("\\b(?:class |interface )?(?:[a-z_][a-z0-9_]*\\.)+[A-Z][\\w$]*");

  /**
   * Beam's message for a flag it refused ({@code Missing required value for [--output, "..."]}, {@code
   * Cannot deserialize value of type `int` from String "2.5"}), said for a person: the flag and the
   * value, no Java class.
   */
  public static String translate(String command, String beamMessage) {
    String m = beamMessage == null ? "" : beamMessage;
    Matcher x = MISSING.matcher(m);
    if (x.find()) {
      return kebabFlag(x.group(1)) + " is required";
    }
    x = NO_PROPERTY.matcher(m);
    if (x.find()) {
      return "unknown flag --" + kebab(x.group(1)) + " for " + command + "; 'fedbeam " + command + " --help' lists the flags";
    }
    x = RUNNER.matcher(m);
    if (x.find()) {
      return "--runner must be one of " + x.group(2) + "; was '" + x.group(1) + "'";
    }
    x = BAD_VALUE.matcher(m);
    if (x.find()) {
      String type = x.group(1).replaceFirst(".*\\.", "").toLowerCase(Locale.ROOT);
      String expected = x.group(3) != null ? "one of " + x.group(3)
          : List.of("int", "integer", "long", "short", "byte").contains(type) ? "a whole number"
          : List.of("double", "float").contains(type) ? "a number"
          : type.equals("boolean") ? "true or false" : "of another form";
      return "a flag's value must be " + expected + ", was '" + x.group(2) + "' ('fedbeam " + command
          + " --help' lists the flags)";
    }
    String plain = CLASS_NAME.matcher(m.lines().findFirst().orElse("")).replaceAll(r -> {
      String s = r.group();
      return s.substring(Math.max(s.lastIndexOf('.'), s.lastIndexOf('$')) + 1);
    });
    return plain.isBlank() ? "bad flags for " + command : plain;
  }

  private static String kebabFlag(String beamFlag) {
    return "--" + kebab(beamFlag.substring(2));
  }
}
