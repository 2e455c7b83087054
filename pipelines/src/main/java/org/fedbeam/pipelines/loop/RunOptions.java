package org.fedbeam.pipelines.loop;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** How a command that runs rounds treats its output folder: a new run, a resume, an overwrite, a slice. */
public interface RunOptions extends PipelineOptions {
  @Description("Continue the unfinished run in the output folder from its last completed round; refused if the folder"
      + " holds no run or the run's settings differ from this command's")
  @Default.Boolean(false)
  boolean getResume();

  void setResume(boolean value);

  @Description("Replace the run the output folder holds (its models, state, records) with a new one")
  @Default.Boolean(false)
  boolean getOverwrite();

  void setOverwrite(boolean value);

  @Description("Run at most this many rounds now, then stop and keep the run for a later --resume (0: no limit);"
      + " a schedule advances a long job a slice at a time")
  @Default.Integer(0)
  int getMaxNewRounds();

  void setMaxNewRounds(int value);

  /** The folder's use these options ask for. */
  static RunState.Start start(RunOptions o) {
    if (o.getResume() && o.getOverwrite()) {
      throw new IllegalArgumentException("--resume and --overwrite exclude each other: continue the run or replace it");
    }
    if (o.getMaxNewRounds() < 0) {
      throw new IllegalArgumentException("--max-new-rounds must be >= 0, was " + o.getMaxNewRounds());
    }
    return o.getResume() ? RunState.Start.RESUME : o.getOverwrite() ? RunState.Start.OVERWRITE : RunState.Start.NEW;
  }

  /**
   * The settings a resume must match: every option {@code type} itself declares, by its flag
   * ({@code --lr}), except {@code ignored} ones (where the run writes, how it is watched, these
   * run options) that do not change what the run computes. A new option is therefore held to the
   * run's value unless it is listed as ignored.
   */
  static java.util.Map<String, String> fingerprint(PipelineOptions options, Class<? extends PipelineOptions> type,
      java.util.Set<String> ignored) {
    java.util.Map<String, String> values = new java.util.TreeMap<>();
    Object view = options.as(type);
    for (java.lang.reflect.Method m : type.getDeclaredMethods()) {
      String name = m.getName();
      if (m.getParameterCount() != 0 || !(name.startsWith("get") || name.startsWith("is")) || m.isDefault()
          || java.lang.reflect.Modifier.isStatic(m.getModifiers())) {
        continue;
      }
      String property = Character.toLowerCase(name.charAt(name.startsWith("is") ? 2 : 3))
          + name.substring(name.startsWith("is") ? 3 : 4);
      if (ignored.contains(property)) {
        continue;
      }
      try {
        values.put("--" + property.replaceAll("([A-Z])", "-$1").toLowerCase(java.util.Locale.ROOT),
            String.valueOf(m.invoke(view)));
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("cannot read option " + property, e);
      }
    }
    return values;
  }

  /**
   * The command that continues a run started by {@code command args}: the same arguments without
   * {@code --overwrite}, {@code --resume} and {@code --max-new-rounds}, then {@code --resume}, quoted for a shell.
   */
  static String resumeCommand(String command, java.util.List<String> args) {
    StringBuilder line = new StringBuilder("fedbeam ").append(command);
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      String flag = a.replaceFirst("=.*$", "");
      if (flag.equals("--overwrite") || flag.equals("--resume")) {
        if (!a.contains("=") && i + 1 < args.size() && args.get(i + 1).matches("true|false")) {
          i++;
        }
        continue;
      }
      if (flag.equals("--max-new-rounds")) {
        if (!a.contains("=")) {
          i++;
        }
        continue;
      }
      line.append(' ').append(a.matches("[A-Za-z0-9_@%+=:,./-]+") ? a : "'" + a.replace("'", "'\\''") + "'");
    }
    return line.append(" --resume").toString();
  }
}
