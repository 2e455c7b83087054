package org.fedbeam.pipelines.runners;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.junit.jupiter.api.Test;

/** The names of a run's Flink jobs, and the run names refused. */
class JobNamesTest {
  @Test
  void roundsAreNumberedOnFourDigitsAndRoundZeroIsAWarmUp() {
    assertThat(JobNames.of("fmnist-3", 7), equalTo("fedbeam-fmnist-3-round-0007"));
    assertThat(JobNames.of("fmnist-3", 12345), equalTo("fedbeam-fmnist-3-round-12345"));
    assertThat(JobNames.of("job_1.a", 0), equalTo("fedbeam-job_1.a-warm-up"));
  }

  @Test
  void aBadRunNameIsRefusedNamingTheValue() {
    assertThat(assertThrows(IllegalArgumentException.class, () -> JobNames.of("", 1)).getMessage(),
        equalTo("the run name of a Flink job must not be empty, was ''"));
    assertThat(assertThrows(IllegalArgumentException.class, () -> JobNames.of(null, 1)).getMessage(),
        containsString("was null"));
    assertThat(assertThrows(IllegalArgumentException.class, () -> JobNames.of("a b/../c", 1)).getMessage(),
        equalTo("the run name of a Flink job may hold only letters, digits, '.', '_' and '-', was 'a b/../c'"));
    assertThat(assertThrows(IllegalArgumentException.class, () -> JobNames.of("x".repeat(81), 1)).getMessage(),
        containsString("at most 80 characters, was 81"));
    assertThrows(IllegalArgumentException.class, () -> RoundRunner.beam("<script>"));
  }

  @Test
  void runNamesMadeFromFoldersAndJobNames() {
    assertThat(JobNames.runNameOfOutput("runs/fmnist-3"), equalTo("fmnist-3"));
    assertThat(JobNames.runNameOfOutput("/tmp/runs/fmnist 3/"), equalTo("fmnist-3"));
    assertThat(JobNames.runNameOfOutput("azfs://account/container/runs/r1"), equalTo("r1"));
    assertThat(JobNames.runNameOfOutput("/"), equalTo("run"));
    assertThat(JobNames.runNameOf("fedbeam-aggregate-job-7", "x"), equalTo("aggregate-job-7"));
    assertThat(JobNames.runNameOf("ü/ö", "fallback"), equalTo("fallback"));
    assertThat(JobNames.runNameOf("y".repeat(200), "x").length(), equalTo(JobNames.MAX_RUN));
  }

  @Test
  void theSessionRunNameIsTheJobNameGivenElseTheOutputFolder() {
    PipelineOptions beamDefault = PipelineOptionsFactory.create();
    assertThat(Runners.runName(beamDefault, "/data/runs/fmnist-3"), equalTo("fmnist-3"));
    PipelineOptions given = PipelineOptionsFactory.fromArgs("--jobName=fedbeam-aggregate-job7").create();
    assertThat(Runners.runName(given, "/data/orchestrator"), equalTo("aggregate-job7"));
  }

  @Test
  void aJobGraphIsRenamed() {
    JobGraph graph = new JobGraph("translated");
    assertThat(JobNames.rename(graph, "fedbeam-r-round-0002").getName(), equalTo("fedbeam-r-round-0002"));
  }
}
