package org.fedbeam.transforms;

import static org.fedbeam.transforms.Fixtures.CONFIG;
import static org.fedbeam.transforms.Fixtures.SPEC;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.iterableWithSize;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.fedbeam.data.Dataset;
import org.fedbeam.data.DatasetFormat;
import org.fedbeam.model.DenseNetwork;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.Seeds;
import org.fedbeam.model.SiloUpdate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Per-silo local training on the DirectRunner: one update per silo with data, skips, failures. */
class TrainLocallyTest {
  private static final int ROUND = 3;
  private static final long RUN_SEED = 2024L;
  /** Silo id -> shard rows; different sizes so a wrong sample count shows. */
  private static final Map<String, Integer> SILO_ROWS = orderedMap("silo-a", 40, "silo-b", 24, "silo-c", 33);
  private static final Parameters GLOBAL = new DenseNetwork(SPEC).initialize(11L);

  @TempDir
  Path dir;

  @Test
  void eachSiloSendsOneUpdateCountingItsShardRows() {
    Pipeline p = Fixtures.pipeline();
    PCollection<SiloUpdate> updates = train(p, tasks(writeSilos())).get(TrainLocally.UPDATES);

    PAssert.that(updates.apply(MapElements.into(kvs(TypeDescriptors.longs()))
            .via(u -> KV.of(u.siloId(), u.metadata().sampleCount()))))
        .containsInAnyOrder(List.of(KV.of("silo-a", 40L), KV.of("silo-b", 24L), KV.of("silo-c", 33L)));

    p.run().waitUntilFinish();
  }

  @Test
  void aByzantineSiloSendsItsAttackedUpdateAndTheOthersAreUntouched() {
    Map<String, String> silos = writeSilos();
    List<SiloTask> honest = tasks(silos);
    List<SiloTask> attacked = new ArrayList<>(honest);
    SiloTask b = honest.get(1);
    attacked.set(1, new SiloTask(b.siloId(), b.dataUri(), b.round(), b.seed(), b.config(),
        org.fedbeam.model.attack.Attack.SIGN_FLIP));
    Map<String, Parameters> honestUpdates = new LinkedHashMap<>();
    for (SiloTask t : honest) {
      honestUpdates.put(t.siloId(), new DenseNetwork(SPEC).train(GLOBAL,
          org.fedbeam.transforms.SiloData.load(t.dataUri(), t.siloId()), t.config(), t.seed()).parameters());
    }
    Pipeline p = Fixtures.pipeline();
    PCollection<SiloUpdate> updates = train(p, attacked).get(TrainLocally.UPDATES);

    Parameters flipped = org.fedbeam.model.attack.Attack.SIGN_FLIP.apply(GLOBAL, honestUpdates.get("silo-b"), 0);
    PAssert.that(updates.apply(MapElements.into(kvs(TypeDescriptor.of(Parameters.class)))
            .via(u -> KV.of(u.siloId(), u.weights()))).setCoder(org.apache.beam.sdk.coders.KvCoder.of(
                org.apache.beam.sdk.coders.StringUtf8Coder.of(), FedBeamCoders.ParametersCoder.of())))
        .containsInAnyOrder(List.of(KV.of("silo-a", honestUpdates.get("silo-a")), KV.of("silo-b", flipped),
            KV.of("silo-c", honestUpdates.get("silo-c"))));

    p.run().waitUntilFinish();
  }

  @Test
  void updatesCarryTheTasksRound() {
    Pipeline p = Fixtures.pipeline();
    PCollection<SiloUpdate> updates = train(p, tasks(writeSilos())).get(TrainLocally.UPDATES);

    PAssert.that(updates.apply(MapElements.into(kvs(TypeDescriptors.integers()))
            .via(u -> KV.of(u.siloId(), u.round()))))
        .containsInAnyOrder(List.of(KV.of("silo-a", ROUND), KV.of("silo-b", ROUND), KV.of("silo-c", ROUND)));

    p.run().waitUntilFinish();
  }

  @Test
  void trainedWeightsEqualTrainingTheShardDirectly() {
    Map<String, String> silos = writeSilos();
    List<SiloTask> tasks = tasks(silos);
    List<KV<String, Parameters>> expected = new ArrayList<>();
    for (SiloTask task : tasks) {
      Dataset shard = Fixtures.blobs(task.siloId(), SILO_ROWS.get(task.siloId()), seedOf(task.siloId()));
      expected.add(KV.of(task.siloId(), new DenseNetwork(SPEC).train(GLOBAL, shard, CONFIG, task.seed()).parameters()));
    }
    Pipeline p = Fixtures.pipeline();
    PCollection<SiloUpdate> updates = train(p, tasks).get(TrainLocally.UPDATES);

    PAssert.that(updates.apply(MapElements.into(kvs(TypeDescriptor.of(Parameters.class)))
            .via(u -> KV.of(u.siloId(), u.weights()))))
        .containsInAnyOrder(expected);

    p.run().waitUntilFinish();
  }

  @Test
  void trainingMovesEverySilosWeightsAwayFromTheGlobalModel() {
    Pipeline p = Fixtures.pipeline();
    PCollection<SiloUpdate> updates = train(p, tasks(writeSilos())).get(TrainLocally.UPDATES);
    byte[] global = Fixtures.encode(FedBeamCoders.ParametersCoder.of(), GLOBAL);

    PAssert.that(updates).satisfies(all -> {
      Parameters start = Fixtures.decode(FedBeamCoders.ParametersCoder.of(), global);
      for (SiloUpdate u : all) {
        assertThat(u.siloId(), u.weights().maxAbsDifference(start), greaterThan(1e-4));
      }
      return null;
    });

    p.run().waitUntilFinish();
  }

  @Test
  void aSiloWithAnEmptyShardIsSkippedNamingTheShard() {
    Map<String, String> silos = writeSilos();
    String empty = Fixtures.writeShard(dir, "silo-empty.fbds", Fixtures.blobs("silo-empty", 0, 5L));
    silos.put("silo-empty", empty);
    Pipeline p = Fixtures.pipeline();
    PCollection<KV<String, String>> skipped = train(p, tasks(silos)).get(TrainLocally.SKIPPED);

    PAssert.that(skipped).satisfies(all -> {
      assertThat(all, iterableWithSize(1));
      KV<String, String> only = all.iterator().next();
      assertThat(only.getKey(), equalTo("silo-empty"));
      assertThat(only.getValue(), allOf(containsString("no training samples"), containsString(empty)));
      return null;
    });

    p.run().waitUntilFinish();
  }

  @Test
  void aSiloWithAnEmptyShardSendsNoUpdate() {
    Map<String, String> silos = writeSilos();
    silos.put("silo-empty", Fixtures.writeShard(dir, "silo-empty.fbds", Fixtures.blobs("silo-empty", 0, 5L)));
    Pipeline p = Fixtures.pipeline();
    PCollection<SiloUpdate> updates = train(p, tasks(silos)).get(TrainLocally.UPDATES);

    PAssert.that(updates.apply(MapElements.into(TypeDescriptors.strings()).via(SiloUpdate::siloId)))
        .containsInAnyOrder("silo-a", "silo-b", "silo-c");

    p.run().waitUntilFinish();
  }

  @Test
  void noSiloIsSkippedWhenEveryShardHasRows() {
    Pipeline p = Fixtures.pipeline();
    PCollection<KV<String, String>> skipped = train(p, tasks(writeSilos())).get(TrainLocally.SKIPPED);

    PAssert.that(skipped).empty();

    p.run().waitUntilFinish();
  }

  @Test
  void metricsCountTrainedAndSkippedSilosAndSamples() {
    Map<String, String> silos = writeSilos();
    silos.put("silo-empty", Fixtures.writeShard(dir, "silo-empty.fbds", Fixtures.blobs("silo-empty", 0, 5L)));
    Pipeline p = Fixtures.pipeline();
    train(p, tasks(silos));

    PipelineResult result = p.run();
    result.waitUntilFinish();

    // every step sees a full batch: the rows of an epoch's last partial batch sit that epoch out
    long seen = 0;
    for (int rows : new int[] {40, 24, 33}) {
      seen += (long) CONFIG.epochs() * (rows < CONFIG.batchSize() ? rows : rows / CONFIG.batchSize() * CONFIG.batchSize());
    }
    assertThat(counter(result, "silosTrained"), equalTo(3L));
    assertThat(counter(result, "silosSkipped"), equalTo(1L));
    assertThat(counter(result, "samplesTrained"), equalTo(seen));
  }

  @Test
  void aMissingShardFailsNamingTheSiloAndTheFile() {
    Map<String, String> silos = writeSilos();
    String missing = dir.resolve("silo-gone").resolve("train.fbds").toString();
    silos.put("silo-gone", missing);
    Pipeline p = Fixtures.pipeline();
    train(p, tasks(silos));

    Pipeline.PipelineExecutionException e = assertThrows(Pipeline.PipelineExecutionException.class,
        () -> p.run().waitUntilFinish());

    assertThat(Fixtures.causalMessages(e),
        hasItem(allOf(containsString("silo-gone"), containsString(missing), containsString("does not exist"))));
  }

  @Test
  void aCorruptedShardFailsNamingTheSiloTheFileAndTheChecksum() throws Exception {
    Map<String, String> silos = writeSilos();
    byte[] shard = DatasetFormat.encode(Fixtures.blobs("silo-bad", 30, 9L));
    Path corrupted = dir.resolve("silo-bad.fbds");
    Files.write(corrupted, Fixtures.flipByte(shard, shard.length / 2));
    silos.put("silo-bad", corrupted.toString());
    Pipeline p = Fixtures.pipeline();
    train(p, tasks(silos));

    Pipeline.PipelineExecutionException e = assertThrows(Pipeline.PipelineExecutionException.class,
        () -> p.run().waitUntilFinish());

    assertThat(Fixtures.causalMessages(e),
        hasItem(allOf(containsString("silo-bad"), containsString(corrupted.toString()), containsString("checksum"))));
  }

  @Test
  void aShardWithTheWrongFeatureCountFailsNamingTheSiloAndTheFile() {
    Map<String, String> silos = writeSilos();
    String narrow = Fixtures.writeShard(dir, "silo-narrow.fbds", Fixtures.blobs("silo-narrow", 20, 4, 9L));
    silos.put("silo-narrow", narrow);
    Pipeline p = Fixtures.pipeline();
    train(p, tasks(silos));

    Pipeline.PipelineExecutionException e = assertThrows(Pipeline.PipelineExecutionException.class,
        () -> p.run().waitUntilFinish());

    assertThat(Fixtures.causalMessages(e), hasItem(allOf(containsString("silo-narrow"), containsString(narrow),
        containsString("4 features"), containsString("expects 6"))));
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private PCollectionTuple train(Pipeline p, List<SiloTask> tasks) {
    PCollectionView<Parameters> global = p
        .apply("GlobalModel", Create.of(GLOBAL).withCoder(FedBeamCoders.ParametersCoder.of()))
        .apply(View.asSingleton());
    return p.apply("Tasks", Create.of(tasks).withCoder(FedBeamCoders.SiloTaskCoder.of()))
        .apply(TrainLocally.from(global));
  }

  /** Writes each silo's blobs shard under {@link #dir}; returns silo id -> URI, in silo order. */
  private Map<String, String> writeSilos() {
    Map<String, String> silos = new LinkedHashMap<>();
    for (var e : SILO_ROWS.entrySet()) {
      Dataset shard = Fixtures.blobs(e.getKey(), e.getValue(), seedOf(e.getKey()));
      silos.put(e.getKey(), Fixtures.writeShard(dir, e.getKey() + ".fbds", shard));
    }
    return silos;
  }

  private static List<SiloTask> tasks(Map<String, String> silos) {
    List<SiloTask> tasks = new ArrayList<>();
    int index = 0;
    for (var e : silos.entrySet()) {
      tasks.add(new SiloTask(e.getKey(), e.getValue(), ROUND, Seeds.derive(RUN_SEED, "train", ROUND, index++), CONFIG));
    }
    return tasks;
  }

  private static long seedOf(String silo) {
    return 100L + silo.hashCode();
  }

  private static <V> TypeDescriptor<KV<String, V>> kvs(TypeDescriptor<V> values) {
    return TypeDescriptors.kvs(TypeDescriptors.strings(), values);
  }

  private static long counter(PipelineResult result, String name) {
    MetricQueryResults metrics = result.metrics().queryMetrics(
        MetricsFilter.builder().addNameFilter(MetricNameFilter.named("fedbeam", name)).build());
    long sum = 0;
    for (MetricResult<Long> c : metrics.getCounters()) {
      sum += c.getAttempted();
    }
    return sum;
  }

  private static Map<String, Integer> orderedMap(String k1, int v1, String k2, int v2, String k3, int v3) {
    Map<String, Integer> map = new LinkedHashMap<>();
    map.put(k1, v1);
    map.put(k2, v2);
    map.put(k3, v3);
    return Collections.unmodifiableMap(map);
  }
}
