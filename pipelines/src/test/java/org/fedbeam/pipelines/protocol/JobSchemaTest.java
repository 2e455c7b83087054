package org.fedbeam.pipelines.protocol;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fedbeam.model.strategy.Strategies;
import org.fedbeam.model.strategy.StrategyParam;
import org.fedbeam.transforms.ConfigJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keeps the job file's parser ({@link JobSpec}), its JSON Schema ({@code job.schema.json}, read from
 * the class path as the jar ships it) and docs/job.md in step: the same fields in all three, the
 * schema's every bound probed on the parser (valid at the bound, refused just beyond it, by both a
 * real JSON Schema validator and the parser), and docs/job.md's example valid and readable.
 */
class JobSchemaTest {
  private static final Path DOC = Path.of("..", "docs", "job.md");
  @TempDir
  Path dir;

  /** Every field path the parser accepts, from the parser's own lists. */
  static Set<String> codeFields() {
    Set<String> f = new TreeSet<>(JobSpec.FIELDS);
    ConfigJson.MODEL_FIELDS.forEach(x -> f.add("model." + x));
    ConfigJson.TRAIN_FIELDS.forEach(x -> f.add("train." + x));
    ConfigJson.DP_FIELDS.forEach(x -> f.add("train.dp." + x));
    JobSilos.SILO_FIELDS.forEach(x -> f.add("silos[]." + x));
    JobSilos.KEY_FIELDS.forEach(x -> f.add("silos[].public_keys[]." + x));
    JobBundleFields.SCALING_FIELDS.forEach(x -> f.add("scaling." + x));
    f.add("strategy.name");
    StatsJob.FIELDS.forEach(x -> f.add("statistics." + x));
    StatsJob.NOISE_FIELDS.forEach(x -> f.add("statistics.noise." + x));
    Strategies.allParameterNames().forEach(x -> f.add("strategy." + x));
    return f;
  }

  /** Every field path the schema lists: properties, items' properties and the strategy variants'. */
  static Set<String> schemaFields(JsonNode schema) {
    Set<String> f = new TreeSet<>();
    walk(schema, "", f);
    return f;
  }

  private static void walk(JsonNode node, String prefix, Set<String> out) {
    node.path("properties").fields().forEachRemaining(e -> {
      String path = prefix + e.getKey();
      out.add(path);
      walk(e.getValue(), path + ".", out);
      walk(e.getValue().path("items"), path + "[].", out);
      for (JsonNode variant : e.getValue().path("oneOf")) {
        walk(variant, path + ".", out);
        variant.path("oneOf").forEach(v -> walk(v, path + ".", out));
      }
    });
  }

  /** The first column of every table row of docs/job.md. */
  static Set<String> docFields() throws IOException {
    Set<String> f = new TreeSet<>();
    Matcher m = Pattern.compile("(?m)^\\| `([^`]+)` \\|").matcher(Files.readString(DOC));
    while (m.find()) {
      f.add(m.group(1));
    }
    return f;
  }

  static JsonNode schemaJson() throws IOException {
    try (InputStream in = JobSpec.class.getResourceAsStream("job.schema.json")) {
      if (in == null) {
        fail("job.schema.json is not on the class path next to JobSpec (pipelines/src/main/resources/org/fedbeam/"
            + "pipelines/protocol/)");
      }
      return Signed.JSON.readTree(in);
    }
  }

  static Schema schema() throws IOException {
    return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(schemaJson());
  }

  @Test
  void everyFieldTheParserAcceptsIsInTheSchemaAndTheDocsAndViceVersa() throws IOException {
    Set<String> code = codeFields();
    Set<String> schema = schemaFields(schemaJson());
    Set<String> docs = docFields();
    List<String> missing = new ArrayList<>();
    for (String f : code) {
      if (!schema.contains(f)) {
        missing.add("JobSpec accepts '" + f + "' but job.schema.json does not list it: add it there with its type,"
            + " default and bounds");
      }
      if (!docs.contains(f)) {
        missing.add("JobSpec accepts '" + f + "' but docs/job.md has no table row | `" + f + "` | ...: add one");
      }
    }
    schema.stream().filter(f -> !code.contains(f)).forEach(f -> missing.add("job.schema.json lists '" + f
        + "', which JobSpec does not accept"));
    docs.stream().filter(f -> !code.contains(f)).forEach(f -> missing.add("docs/job.md documents '" + f
        + "', which JobSpec does not accept"));
    assertThat(String.join("\n", missing), missing, empty());
  }

  @Test
  void theSchemaStatesEveryStrategyWithItsParametersDefaultsAndRanges() throws IOException {
    JsonNode strategy = schemaJson().path("properties").path("strategy");
    List<String> names = Strategies.all().stream().map(Strategies.Entry::name).toList();
    assertThat(texts(strategy.path("oneOf").get(0).path("enum")), equalTo(names));
    JsonNode variants = strategy.path("oneOf").get(1).path("oneOf");
    assertThat(variants.size(), equalTo(names.size()));
    for (Strategies.Entry e : Strategies.all()) {
      JsonNode v = null;
      for (JsonNode c : variants) {
        if (c.path("title").asText().equals(e.name())) {
          v = c;
        }
      }
      assertThat("a schema variant for strategy " + e.name(), v != null, equalTo(true));
      assertThat(e.name(), v.path("properties").path("name").path("const").asText(), equalTo(e.name()));
      assertThat(e.name() + "'s parameters", v.path("properties").size() - 1, equalTo(e.params().size()));
      for (StrategyParam p : e.params()) {
        JsonNode s = v.path("properties").path(p.name());
        String what = "strategy " + e.name() + " parameter " + p.name();
        assertThat(what + " type", s.path("type").asText(), equalTo(p.integer() ? "integer" : "number"));
        assertThat(what + " default", s.path("default").asDouble(), equalTo(p.defaultValue()));
        assertThat(what + " min", s.path(p.minOpen() ? "exclusiveMinimum" : "minimum").asDouble(Double.NaN),
            equalTo(p.min()));
        assertThat(what + " max", s.path(p.maxOpen() ? "exclusiveMaximum" : "maximum").asDouble(Double.NaN),
            equalTo(p.max()));
      }
    }
    assertThat(texts(schemaJson().path("properties").path("model").path("properties").path("kind").path("enum")),
        equalTo(java.util.Arrays.stream(org.fedbeam.model.ModelKind.values()).map(k -> k.id()).toList()));
  }

  @Test
  void docsExampleIsValidAgainstTheSchemaAndTheOrchestratorReadsIt() throws IOException {
    JsonNode example = docExample();
    assertThat(schema().validate(example).toString(), schema().validate(example), empty());
    JobSpec job = JobSpec.read(write(example));
    assertThat(job.jobId(), equalTo("cancer-2025-06"));
    assertThat(job.silos().size(), equalTo(2));
    assertThat(job.strategy().name(), equalTo("fedprox"));
    assertThat(job.spec().describe(), equalTo("mlp 30-16-2"));
  }

  @Test
  void everyBoundInTheSchemaIsTheParsersValidAtTheBoundRefusedJustBeyond() throws IOException {
    JsonNode props = schemaJson().path("properties");
    List<String> checked = new ArrayList<>();
    props.fields().forEachRemaining(e -> probeAll(e.getKey(), e.getValue(), checked));
    props.path("train").path("properties").fields().forEachRemaining(e -> probeAll("train." + e.getKey(),
        e.getValue(), checked));
    props.path("train").path("properties").path("dp").path("properties").fields().forEachRemaining(e ->
        probeAll("train.dp." + e.getKey(), e.getValue(), checked));
    props.path("silos").path("items").path("properties").fields().forEachRemaining(e ->
        probeAll("silos[0]." + e.getKey(), e.getValue(), checked));
    probeAll("model.layers[1]", props.path("model").path("properties").path("layers").path("items"), checked);
    for (JsonNode v : props.path("strategy").path("oneOf").get(1).path("oneOf")) {
      v.path("properties").fields().forEachRemaining(e -> probeAll("strategy." + e.getKey() + "@" + v.path("title")
          .asText(), e.getValue(), checked));
    }
    // every numeric field with a bound was probed: the count guards the walk itself
    assertThat(String.join(", ", checked), checked.size() >= 40, equalTo(true));
  }

  private void probeAll(String path, JsonNode s, List<String> checked) {
    boolean integer = s.path("type").asText().equals("integer");
    for (String k : List.of("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum")) {
      if (!s.has(k)) {
        continue;
      }
      BigDecimal bound = s.get(k).decimalValue();
      boolean lower = k.endsWith("inimum");
      boolean exclusive = k.startsWith("exclusive");
      BigDecimal step = integer ? BigDecimal.ONE : bound.abs().max(BigDecimal.ONE).multiply(new BigDecimal("1e-6"));
      BigDecimal beyond = lower ? bound.subtract(step) : bound.add(step);
      BigDecimal inside = lower ? bound.add(step) : bound.subtract(step);
      if (exclusive) {
        probe(path, bound, integer, false);
        probe(path, inside, integer, true);
      } else {
        probe(path, bound, integer, true);
        probe(path, beyond, integer, false);
      }
      checked.add(path + " " + k + " " + bound);
    }
  }

  /** Sets {@code path} to {@code value} in the docs' example; the schema and the parser must agree it is {@code valid}. */
  private void probe(String path, BigDecimal value, boolean integer, boolean valid) {
    try {
      ObjectNode job = (ObjectNode) docExample();
      job.remove("min_silos"); // the quorum then follows fraction, so a valid fraction stays valid
      JsonNode v = integer ? JsonNodeFactory.instance.numberNode(value.toBigIntegerExact())
          : JsonNodeFactory.instance.numberNode(value.doubleValue());
      String leaf = set(job, path, v);
      String what = path + " = " + v;
      var schemaErrors = schema().validate(job);
      assertThat("the schema on " + what + ": " + schemaErrors, schemaErrors.isEmpty(), equalTo(valid));
      List<String> problems;
      try {
        JobSpec.read(write(job));
        problems = List.of();
      } catch (JobFileException e) {
        problems = e.problems();
      }
      String strategy = path.startsWith("strategy.") ? "strategy " + path.substring(path.indexOf('@') + 1) + ": " : "";
      if (valid) {
        // a strategy's parameter may be in range but need more silos per round: a check of its own
        List<String> aboutIt = strategy.isEmpty() ? problems
            : problems.stream().filter(p -> p.contains(strategy + leaf + " must")).toList();
        assertThat("the parser on " + what, aboutIt, empty());
      } else {
        assertThat("the parser on " + what + " refuses it", problems.isEmpty(), equalTo(false));
        assertThat("the parser's problem names the field, on " + what, String.join("\n", problems),
            containsString(leaf));
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Sets the value; returns the word the parser's message names the field by. */
  private static String set(ObjectNode job, String path, JsonNode v) {
    String[] parts = path.split("@")[0].split("\\.");
    if (path.startsWith("strategy.")) {
      job.putObject("strategy").put("name", path.substring(path.indexOf('@') + 1)).set(parts[1], v);
      return parts[1];
    }
    if (path.startsWith("model.layers")) {
      ((ArrayNode) job.get("model").get("layers")).set(1, v);
      return "model";
    }
    ObjectNode at = job;
    for (int i = 0; i < parts.length - 1; i++) {
      if (parts[i].equals("silos[0]")) {
        at = (ObjectNode) at.get("silos").get(0);
      } else if (parts[i].equals("dp")) {
        at = at.putObject("dp").put("clip", 1.0).put("noise_multiplier", 1.0);
      } else {
        at = (ObjectNode) at.get(parts[i]);
      }
    }
    at.set(parts[parts.length - 1], v);
    return path.startsWith("train.dp.") ? "train.dp" : parts[parts.length - 1];
  }

  static JsonNode docExample() throws IOException {
    String doc = Files.readString(DOC);
    int at = doc.indexOf("## A complete example");
    int start = doc.indexOf("```json\n", at) + "```json\n".length();
    return JobSpec.JSON.readTree(doc.substring(start, doc.indexOf("```", start)));
  }

  private Path write(JsonNode job) throws IOException {
    Path file = Files.createTempFile(dir, "job", ".json");
    Files.write(file, Signed.JSON.writeValueAsBytes(job));
    return file;
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }
}
