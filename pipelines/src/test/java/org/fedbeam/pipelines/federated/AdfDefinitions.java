package org.fedbeam.pipelines.federated;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The ADF definitions of {@code deploy/adf/} as ADF reads them: the slice pipeline's Custom
 * activity, its command expression evaluated with the parameters a schedule trigger passes (or
 * the pipeline's defaults), into the command line the Batch node runs. Only the expression forms
 * the definitions use are understood ({@code @concat} of string literals,
 * {@code pipeline().parameters.NAME} and {@code string(...)}); anything else is an error naming it.
 */
final class AdfDefinitions {
  private static final ObjectMapper JSON = new ObjectMapper();

  private AdfDefinitions() {}

  /** The command line a trigger's run of its pipeline executes, checked: its job file must exist. */
  static List<String> command(Path adf, String triggerName, Map<String, Object> overrides) throws IOException {
    Path triggerFile = adf.resolve("trigger").resolve(triggerName + ".json");
    JsonNode trigger = JSON.readTree(Files.readAllBytes(triggerFile));
    require(trigger.path("properties").path("type").asText().equals("ScheduleTrigger"), triggerFile,
        "properties.type", "must be ScheduleTrigger");
    JsonNode ref = trigger.path("properties").path("pipelines").path(0);
    String pipelineName = ref.path("pipelineReference").path("referenceName").asText();
    Path pipelineFile = adf.resolve("pipeline").resolve(pipelineName + ".json");
    require(Files.isRegularFile(pipelineFile), triggerFile, "properties.pipelines[0].pipelineReference",
        "names pipeline " + pipelineName + ", which has no definition " + pipelineFile);
    JsonNode pipeline = JSON.readTree(Files.readAllBytes(pipelineFile));
    Map<String, Object> parameters = new LinkedHashMap<>();
    pipeline.path("properties").path("parameters").fields().forEachRemaining(
        f -> parameters.put(f.getKey(), value(f.getValue().path("defaultValue"))));
    ref.path("parameters").fields().forEachRemaining(f -> parameters.put(f.getKey(), value(f.getValue())));
    parameters.putAll(overrides);
    Path job = Path.of(String.valueOf(parameters.get("jobFile")));
    require(Files.isRegularFile(job), triggerFile, "parameter jobFile", "names the job file " + job
        + ", which does not exist");
    JsonNode activity = customActivity(pipeline, pipelineFile);
    String expression = activity.path("typeProperties").path("command").path("value").asText();
    return List.of(evaluate(expression, parameters, pipelineFile).trim().split("\\s+"));
  }

  private static JsonNode customActivity(JsonNode pipeline, Path file) {
    for (JsonNode a : pipeline.path("properties").path("activities")) {
      if ("Custom".equals(a.path("type").asText())) {
        return a;
      }
    }
    throw new IllegalArgumentException(file + ": properties.activities has no Custom activity");
  }

  private static Object value(JsonNode n) {
    return n.isNumber() ? (Object) n.numberValue() : n.asText();
  }

  private static void require(boolean ok, Path file, String field, String what) {
    if (!ok) {
      throw new IllegalArgumentException(file + ": " + field + " " + what);
    }
  }

  /** {@code @concat('a', pipeline().parameters.x, string(pipeline().parameters.n))}. */
  static String evaluate(String expression, Map<String, Object> parameters, Path file) {
    if (!expression.startsWith("@concat(") || !expression.endsWith(")")) {
      throw new IllegalArgumentException(file + ": the command is not an @concat(...) expression: " + expression);
    }
    StringBuilder out = new StringBuilder();
    for (String term : split(expression.substring("@concat(".length(), expression.length() - 1))) {
      out.append(term(term.trim(), parameters, file));
    }
    return out.toString();
  }

  private static String term(String t, Map<String, Object> parameters, Path file) {
    if (t.startsWith("'") && t.endsWith("'")) {
      return t.substring(1, t.length() - 1).replace("''", "'");
    }
    if (t.startsWith("string(") && t.endsWith(")")) {
      return term(t.substring("string(".length(), t.length() - 1).trim(), parameters, file);
    }
    String prefix = "pipeline().parameters.";
    if (t.startsWith(prefix) && parameters.containsKey(t.substring(prefix.length()))) {
      return String.valueOf(parameters.get(t.substring(prefix.length())));
    }
    throw new IllegalArgumentException(file + ": the command's term " + t + " is not a literal or a known parameter");
  }

  /** The arguments of a call, split at the commas outside quotes and parentheses. */
  private static List<String> split(String args) {
    List<String> terms = new ArrayList<>();
    int depth = 0;
    boolean quoted = false;
    int start = 0;
    for (int i = 0; i < args.length(); i++) {
      char c = args.charAt(i);
      if (c == '\'') {
        quoted = !quoted;
      } else if (!quoted && c == '(') {
        depth++;
      } else if (!quoted && c == ')') {
        depth--;
      } else if (!quoted && depth == 0 && c == ',') {
        terms.add(args.substring(start, i));
        start = i + 1;
      }
    }
    terms.add(args.substring(start));
    return terms;
  }
}
