package org.fedbeam.pipelines.federated;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fedbeam.data.Dataset;
import org.fedbeam.data.DatasetFormat;
import org.fedbeam.data.table.CategoricalColumn;
import org.fedbeam.data.table.Table;
import org.fedbeam.data.table.TableColumn;
import org.fedbeam.data.table.TableFormat;
import org.fedbeam.model.DenseNetwork;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.TrainConfig;
import org.fedbeam.pipelines.protocol.Exchange;
import org.fedbeam.pipelines.protocol.Keys;
import org.fedbeam.pipelines.protocol.Messages;
import org.fedbeam.pipelines.protocol.RefusalReason;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.pipelines.rounds.SiloPipeline;
import org.fedbeam.preprocess.CategoricalSpec;
import org.fedbeam.preprocess.ColumnSpec;
import org.fedbeam.preprocess.NumericSpec;
import org.fedbeam.preprocess.Preprocessing;
import org.fedbeam.transforms.Artifacts;
import org.fedbeam.transforms.SiloData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A curious orchestrator holding a trusted key crafts the preprocessing of a request to single out a
 * record in a silo whose data is a prepared table (real breast-cancer rows from {@code fedbeam
 * prepare}, with a {@code ward} column added where one patient alone is in ward "Z"). Each attack is
 * replayed against a real silo agent, and the test asserts the refusal (a fixed reason out, the
 * detail naming silo, file and column in the audit only) or the fold and clamp, and that the rows
 * the silo trained on are exactly those of a harmless preprocessing.
 */
class PreprocessingAttackTest {
  private static final TrainConfig CONFIG = new TrainConfig(1, 16, 0.05, 0, 0);
  private static final String JOB = "probe";

  @TempDir
  Path dir;
  private World world;
  private TableSilos silos;
  private Preprocessing fitted;
  private int round;

  /** The real agents, each answering what waits in its exchange when asked (no background thread to wait on). */
  private final java.util.Map<String, SiloAgent> agents = new java.util.HashMap<>();

  @BeforeEach
  void setUp() throws Exception {
    world = new World(dir, List.of("alpha", "beta"));
    silos = new TableSilos(world, List.of("alpha", "beta"));
    fitted = silos.federatedFit(Preprocessing.Scaling.STANDARDIZE);
    // alpha's table gets a ward column: one patient in ward Z, the others in A or B
    Table t = silos.tables.get(0);
    int[] codes = new int[t.rows()];
    for (int r = 0; r < codes.length; r++) {
      codes[r] = r == 17 ? 2 : r % 2;
    }
    List<TableColumn> columns = new ArrayList<>(t.columns());
    columns.add(new CategoricalColumn("ward", List.of("A", "B", "Z"), codes));
    Artifacts.writeAtomically(world.data.get("alpha"), TableFormat.encode(new Table(t.source(), columns, t.label())));
    agents.put("alpha", world.agent("alpha"));
    agents.put("beta", world.agent("beta"));
  }

  @AfterEach
  void tearDown() throws Exception {
    world.close();
  }

  @Test
  void aVocabularyNamingOnePatientsValueIsFoldedIntoOtherAndTheRowsAreThoseOfAHarmlessOne() throws Exception {
    Preprocessing crafted = withWard(List.of("A", "B", "Z"));
    Preprocessing harmless = withWard(List.of("A", "B", "never-seen"));

    JsonNode first = answer("alpha", crafted);
    JsonNode second = answer("alpha", harmless);

    assertThat(first.path("decision").asText(), equalTo("update sent"));
    assertThat(second.path("decision").asText(), equalTo("update sent"));
    JsonNode accepted = audit("alpha", "accepted").get(0);
    JsonNode ward = accepted.path("preparation").path("folded").path("ward");
    assertThat(ward.path("values").asInt(), equalTo(1));
    assertThat(ward.path("rows").asInt(), equalTo(1));
    assertThat("the audit holds counts, never the value", accepted.toString().contains("\"Z\""), equalTo(false));
    // the rows trained on: the crafted "ward=Z" input is 0 for every row, exactly as "never-seen"
    Dataset a = prepared(crafted);
    Dataset b = prepared(harmless);
    assertThat(a.size(), equalTo(b.size()));
    int zInput = crafted.featureNames().indexOf("ward=Z");
    for (int r = 0; r < a.size(); r++) {
      for (int f = 0; f < a.featureCount(); f++) {
        assertThat(a.feature(r, f), equalTo(b.feature(r, f)));
      }
      assertThat(a.feature(r, zInput), equalTo(0f));
    }
    // folded into "other", patient 17 would be alone there: so "other" went to the fullest ward
    assertThat(ward.path("other_rows_moved").asInt(), equalTo(1));
    float inA = a.feature(17, crafted.featureNames().indexOf("ward=A"));
    float inB = a.feature(17, crafted.featureNames().indexOf("ward=B"));
    assertThat("patient 17 is in one common ward", inA + inB, equalTo(1f));
    for (int r = 0; r < a.size(); r++) {
      assertThat("no row is in 'other'", a.feature(r, zInput + 1), equalTo(0f));
    }
  }

  @Test
  void anExtremeScaleThatIsolatesARecordIsRefusedAndANonPositiveScaleRefused() throws Exception {
    double target = silos.tables.get(0).columns().get(0) instanceof org.fedbeam.data.table.NumericColumn n
        ? n.value(17) : 0;
    List<ColumnSpec> columns = new ArrayList<>(fitted.columns());
    NumericSpec first = (NumericSpec) columns.get(0);
    columns.set(0, new NumericSpec(first.name(), first.scaling(), first.impute(), target, 1e-12));
    Preprocessing extreme = new Preprocessing(fitted.labelName(), fitted.classes(), columns);

    JsonNode answered = answer("alpha", extreme);

    // the scaling leaves patient 17 (and any record within 1e-9 of the centre) inside the window and every
    // other record at a clamp: that input would be an indicator of one record, so the silo refuses it
    // before anything is trained (TablePreparation's window rule)
    assertRefused(answered, RefusalReason.OUTSIDE_POLICY, "would single them out");

    String zero = new String(fitted.toJson(), java.nio.charset.StandardCharsets.UTF_8)
        .replaceFirst("\"scale\":[^,}]+", "\"scale\":0");
    JsonNode refused = answer("alpha", zero.getBytes(java.nio.charset.StandardCharsets.UTF_8), SPEC30);
    assertRefused(refused, RefusalReason.OUTSIDE_POLICY, "scale must be finite and > 0");
  }

  @Test
  void aRequestWithoutAPreprocessingOrNamingAnAbsentOrRetypedColumnIsRefusedNamingSiloFileAndColumn()
      throws Exception {
    JsonNode none = answer("alpha", null, SPEC30);
    assertRefused(none, RefusalReason.OUTSIDE_POLICY,
        "this silo's data is a prepared table: the request needs a preprocessing");

    List<ColumnSpec> absent = new ArrayList<>(fitted.columns());
    NumericSpec first = (NumericSpec) absent.get(0);
    absent.set(0, new NumericSpec("ssn", first.scaling(), 0, 0, 1));
    JsonNode gone = answer("beta", new Preprocessing(fitted.labelName(), fitted.classes(), absent));
    assertRefused(gone, RefusalReason.OUTSIDE_POLICY, "silo beta: data file " + world.data.get("beta")
        + ": column 'ssn' is not in this silo's table (the preprocessing expects a numeric column)");

    List<ColumnSpec> retyped = new ArrayList<>(fitted.columns());
    retyped.set(0, new CategoricalSpec(first.name(), List.of(), null));
    JsonNode other = answer("beta", new Preprocessing(fitted.labelName(), fitted.classes(), retyped));
    assertRefused(other, RefusalReason.OUTSIDE_POLICY, "column '" + first.name()
        + "' is numeric here, the preprocessing expects it categorical");
    assertThat("nothing was trained for a refused request", Files.exists(world.privateDir("beta")
        .resolve("state/prepared")), equalTo(false));
    assertThat(world.assertEveryRefusalReasonIsFixed(), org.hamcrest.Matchers.greaterThanOrEqualTo(3));
  }

  @Test
  void aNumericShardRefusesAPreprocessingAndAVocabularyAboveThePolicysBoundIsRefused() throws Exception {
    World shard = new World(dir.resolve("shards"), List.of("gamma"));
    try {
      SiloAgent gamma = shard.agent("gamma");
      Keys.Identity key = shard.submitter;
      byte[] global = World.encode(shard.initialModel());
      Messages.RoundRequest r = shard.request("gamma", JOB, 1, 1, Artifacts.sha256Hex(global));
      Messages.RoundRequest withPre = new Messages.RoundRequest(r.jobId(), 1, 1, r.nonce(), "gamma", r.pipeline(),
          r.spec(), r.modelSha256(), r.config(), r.seed(), r.deadlineMillis(), Artifacts.sha256Hex(fitted.toJson()));
      shard.publish("gamma", withPre, key, global);
      gamma.answerPending();
      JsonNode refused = answered(shard, "gamma", 1);
      assertRefused(refused, RefusalReason.OUTSIDE_POLICY, "this silo's data is a numeric shard");
    } finally {
      shard.close();
    }

    List<String> wards = new ArrayList<>();
    for (int i = 0; i <= 1000; i++) {
      wards.add("w" + i);
    }
    JsonNode big = answer("alpha", withWard(wards));
    assertRefused(big, RefusalReason.OUTSIDE_POLICY, "silo alpha: data file " + world.data.get("alpha")
        + ": column 'ward': a vocabulary of 1001 values, this silo's policy allows at most 1000"
        + " (preprocessing.max_vocabulary)");
  }

  private static final ModelSpec SPEC30 = ModelSpec.of(30, List.of(8), 2);

  private Preprocessing withWard(List<String> vocabulary) {
    List<ColumnSpec> columns = new ArrayList<>(fitted.columns());
    columns.add(new CategoricalSpec("ward", vocabulary, null));
    return new Preprocessing(fitted.labelName(), fitted.classes(), columns);
  }

  private JsonNode answer(String silo, Preprocessing pre) throws Exception {
    return answer(silo, pre.toJson(), ModelSpec.of(pre.inputs(), List.of(8), 2));
  }

  /** Publishes a signed request with {@code preBytes} (null: none) and returns the silo's audit line for it. */
  private JsonNode answer(String silo, byte[] preBytes, ModelSpec spec) throws Exception {
    round++;
    byte[] global = World.encode(new DenseNetwork(spec).initialize(round)); // a new model each round: no replay
    Messages.RoundRequest r = new Messages.RoundRequest(JOB, round, 1, Messages.newNonce(), silo, SiloPipeline.REF, spec,
        Artifacts.sha256Hex(global), CONFIG, 1, System.currentTimeMillis() + 120_000,
        preBytes == null ? null : Artifacts.sha256Hex(preBytes));
    Exchange ex = new Exchange(world.exchanges.get(silo));
    Exchange.Slot slot = new Exchange.Slot(JOB, round, 1);
    if (preBytes != null) {
      Artifacts.writeAtomically(TableRequests.preprocessingUri(ex, slot), preBytes);
    }
    world.publish(silo, r, world.submitter, global);
    agents.get(silo).answerPending();
    return answered(world, silo, round);
  }

  /** The silo's audit line answering {@code round} (its agent has answered what waited). */
  private static JsonNode answered(World w, String silo, int round) throws Exception {
    for (String line : w.auditLines(silo)) {
      JsonNode e = FederatedPreprocessingTest.json(line);
      String d = e.path("decision").asText();
      if (e.path("round").asInt() == round && (d.equals("update sent") || d.equals("refused"))) {
        return e;
      }
    }
    throw new AssertionError("silo " + silo + " did not answer round " + round);
  }

  private List<JsonNode> audit(String silo, String decision) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (String line : world.auditLines(silo)) {
      JsonNode e = FederatedPreprocessingTest.json(line);
      if (decision.equals(e.path("decision").asText())) {
        out.add(e);
      }
    }
    return out;
  }

  /** The rows alpha prepared for {@code pre}, from its private cache (the silo's own file: the same key). */
  private Dataset prepared(Preprocessing pre) {
    return DatasetFormat.decode(Artifacts.read(cachedShard(pre), "prepared"), "prepared");
  }

  private String cachedShard(Preprocessing pre) {
    String dirUri = world.privateDir("alpha").resolve("state/prepared").toString();
    String preUri = Artifacts.resolve(dirUri, Artifacts.sha256Hex(pre.toJson()) + ".json");
    return org.fedbeam.transforms.TablePreparation.cached(world.data.get("alpha"), preUri,
        org.fedbeam.transforms.TablePreparation.Limits.defaults(), dirUri, "test").datasetUri();
  }

  private static void assertRefused(JsonNode event, RefusalReason reason, String detail) {
    assertThat(event.path("decision").asText(), equalTo("refused"));
    assertThat(event.path("reason").asText(), equalTo(reason.name()));
    assertThat(event.path("detail").asText(), allOf(containsString(detail)));
  }
}
