package org.fedbeam.tools;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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
    assertThat(help, containsString("fedbeam demo federated"));
  }

  @Test
  void benchHelpListsTheBenchFlags() {
    assertThat(run("bench", "--help"), equalTo(0));
    assertThat(out.toString(StandardCharsets.UTF_8), containsString("BenchOptions"));
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
