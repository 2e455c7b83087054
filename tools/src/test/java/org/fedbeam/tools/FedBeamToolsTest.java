package org.fedbeam.tools;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.not;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.fedbeam.pipelines.cli.FedBeam;
import org.junit.jupiter.api.Test;

/** bin/fedbeam's main class: bench and demo here, every other command handed to the core's command line. */
class FedBeamToolsTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return FedBeamTools.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void helpListsEveryCommandWithBenchAndDemo() {
    assertThat(run("--help"), equalTo(0));
    String help = out.toString(StandardCharsets.UTF_8);
    assertThat(help, containsString("fedbeam train --output DIR"));
    assertThat(help, containsString("fedbeam bench [--output DIR]"));
    assertThat(help, containsString("fedbeam cluster"));
    assertThat(help, containsString("fedbeam demo federated"));
  }

  @Test
  void benchHelpListsTheBenchFlagsFirstThenTheMainJobsAndTheStrategies() {
    assertThat(run("bench", "--help"), equalTo(0));
    String help = out.toString(StandardCharsets.UTF_8);
    for (String row : List.of("--bench-rounds N", "(default 50)", "--cluster-rounds N", "--repeats N", "--clusters",
        "--dp", "--python PATH", "--batch-size N", "--strategy NAME", "--server-lr X", "--byzantine N")) {
      assertThat(help, containsString(row));
    }
    assertThat(help.indexOf("--bench-rounds"), lessThan(help.indexOf("--batch-size")));
    assertThat(help, not(containsString("BenchOptions")));
    assertThat(help, not(containsString("--stable-unique-names")));
  }

  @Test
  void demoHelpListsTheDemoFlags() {
    assertThat(run("demo", "--help"), equalTo(0));
    String help = out.toString(StandardCharsets.UTF_8);
    for (String row : List.of("--output DIR", "--silos N", "(default 3)", "--storage local|azurite", "--clusters",
        "--clusters-dir DIR", "--fashion-mnist-dir DIR")) {
      assertThat(help, containsString(row));
    }
  }

  @Test
  void badDemoAndBenchFlagsNameTheFlagAndTheValue() {
    assertThat(run("demo", "federated", "--output", "/tmp/never", "--silos", "x"), equalTo(2));
    assertThat(run("demo", "federated", "--output", "/tmp/never", "--storage", "s3"), equalTo(2));
    assertThat(run("demo", "federated", "--silo", "3"), equalTo(2));
    assertThat(run("bench", "--repeats", "2.5"), equalTo(2));
    assertThat(run("bench", "--strategy", "fedprox", "--mu", "abc"), equalTo(2));
    String e = err.toString(StandardCharsets.UTF_8);
    assertThat(e, containsString("--silos must be a whole number, was 'x'"));
    assertThat(e, containsString("--storage must be one of local, azurite; was 's3'"));
    assertThat(e, containsString("unknown flag --silo for demo federated; did you mean --silos?"));
    assertThat(e, containsString("--repeats must be a whole number, was '2.5'"));
    assertThat(e, containsString("--mu must be a number, was 'abc'"));
    assertThat(e, not(containsString("Exception")));
  }

  @Test
  void versionGoesToTheCore() {
    assertThat(run("--version"), equalTo(0));
    assertThat(out.toString(StandardCharsets.UTF_8), containsString("fedbeam 0.1.0"));
  }

  @Test
  void otherCommandsGoToTheCore() {
    assertThat(run("keys"), equalTo(2));
    assertThat(run("no-such-command"), equalTo(2));
    assertThat(err.toString(StandardCharsets.UTF_8), containsString("unknown command 'no-such-command'"));
  }

  @Test
  void aDemoWithoutItsSubcommandIsBadUsage() {
    assertThat(run("demo"), equalTo(2));
    assertThat(err.toString(StandardCharsets.UTF_8), containsString("usage: fedbeam demo federated"));
  }

  @Test
  void theCoreAloneNamesTheToolsModuleForBenchAndDemo() {
    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
    assertThat(FedBeam.run(new String[] {"bench"}, new PrintStream(out, true, StandardCharsets.UTF_8), e), equalTo(2));
    assertThat(err.toString(StandardCharsets.UTF_8), containsString("fedbeam-tools"));
  }
}
