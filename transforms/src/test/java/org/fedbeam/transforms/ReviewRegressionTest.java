package org.fedbeam.transforms;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.sameInstance;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.testing.CoderProperties;
import org.apache.beam.sdk.transforms.Create;
import org.fedbeam.data.Dataset;
import org.fedbeam.data.DatasetFormat;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.SystemMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Defects found by review of the transforms, each pinned by the input that exposed it. */
class ReviewRegressionTest {
  private static final SystemMetadata META = new SystemMetadata(10, 0.5, 3);

  @TempDir
  Path dir;

  @Test
  void aggregateResultEncodesTheSameWhateverTheCallersMapOrder() throws Exception {
    Parameters model = Fixtures.randomParameters(Fixtures.SPEC, 1);
    TreeMap<String, SystemMetadata> reversed = new TreeMap<>(Comparator.reverseOrder());
    reversed.putAll(Map.of("a", META, "b", META));
    TreeMap<String, SystemMetadata> natural = new TreeMap<>(Map.of("a", META, "b", META));

    CoderProperties.coderDeterministic(FedBeamCoders.AggregateResultCoder.of(),
        new AggregateResult(2, model, 20, reversed), new AggregateResult(2, model, 20, natural));
  }

  @Test
  void shardRewrittenAtTheSameSizeAndTimeIsReadAgain() throws Exception {
    String uri = Fixtures.writeShard(dir, "silo-x", Fixtures.blobs("first", 40, 1));
    FileTime time = Files.getLastModifiedTime(Path.of(uri));
    Dataset first = SiloData.load(uri, "silo x");

    Files.write(Path.of(uri), DatasetFormat.encode(Fixtures.blobs("second", 40, 2)));
    Files.setLastModifiedTime(Path.of(uri), time);
    Dataset second = SiloData.load(uri, "silo x");

    assertThat(second, not(sameInstance(first)));
    assertThat(second.feature(0, 0), equalTo(Fixtures.blobs("second", 40, 2).feature(0, 0)));
  }

  @Test
  void evaluationFailureNamesTheEvaluationSet() {
    String uri = Fixtures.writeShard(dir, "narrow", Fixtures.blobs("narrow", 10, 2, 3));
    Pipeline p = Fixtures.pipeline();
    p.apply(Create.of(Fixtures.randomParameters(Fixtures.SPEC, 1)).withCoder(FedBeamCoders.ParametersCoder.of()))
        .apply(EvaluateModel.on(Map.of("holdout", uri)));

    Exception e = assertThrows(Exception.class, () -> p.run().waitUntilFinish());

    assertThat(String.join("\n", Fixtures.causalMessages(e)), containsString("evaluation set holdout (" + uri + ")"));
  }

  @Test
  void artifactNameWithAGlobCharacterIsRejected() {
    Fixtures.writeShard(dir, "abc", Fixtures.blobs("abc", 5, 4));
    String pattern = dir.resolve("a?c").resolve("train.fbds").toString().replace("train.fbds", "t?ain.fbds");

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Artifacts.read(pattern, "shard"));

    assertThat(e.getMessage(), containsString("glob character"));
    assertThat(List.of(e.getMessage()), hasItem(containsString(pattern)));
  }
}
