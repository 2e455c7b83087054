package org.fedbeam.pipelines.runners;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --flinkMaster=[local]} (Beam's own mini cluster per pipeline) gets the same TLS and loopback binding. */
class LocalFlinkTlsTest {
  @TempDir
  Path dir;

  @Test
  void beamsLocalClusterRunsBehindTheSameTls() throws Exception {
    FlinkPipelineOptions options = PipelineOptionsFactory.fromArgs("--runner=FlinkRunner", "--flinkMaster=[local]",
        "--parallelism=1").as(FlinkPipelineOptions.class);
    ByteArrayOutputStream printed = new ByteArrayOutputStream();

    try (Runners.Session session = Runners.prepare(options, dir.toString(), "0", false,
        new PrintStream(printed, true, StandardCharsets.UTF_8))) {
      Pipeline p = Pipeline.create(options);
      p.apply("Numbers", Create.of(1, 2, 3)).apply("Count", Count.globally());
      assertThat(p.run().waitUntilFinish(), equalTo(PipelineResult.State.DONE));
    }

    String conf = Files.readString(Path.of(options.getFlinkConfDir(), "flink-conf.yaml"));
    assertThat(conf, containsString("security.ssl.internal.enabled: true"));
    assertThat(conf, containsString("security.ssl.rest.authentication-enabled: true"));
    assertThat(conf, containsString("rest.bind-address: 127.0.0.1"));
  }
}
