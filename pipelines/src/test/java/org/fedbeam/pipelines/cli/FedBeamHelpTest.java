package org.fedbeam.pipelines.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;
import org.apache.beam.sdk.options.PipelineOptions;
import org.fedbeam.model.strategy.Strategies;
import org.fedbeam.model.strategy.StrategyParam;
import org.fedbeam.pipelines.federated.AgentOptions;
import org.fedbeam.pipelines.federated.OrchestrateOptions;
import org.fedbeam.pipelines.loop.TrainOptions;
import org.junit.jupiter.api.Test;

/** What {@code fedbeam COMMAND --help} and {@code fedbeam --version} print. */
class FedBeamHelpTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private String help(String... args) {
    int code = FedBeam.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(err.toString(StandardCharsets.UTF_8), code, equalTo(0));
    // a long description wraps: compare with single spaces
    return out.toString(StandardCharsets.UTF_8).replaceAll("\\s*\n\\s+", " ");
  }

  @Test
  void trainHelpListsItsOwnFlagsInKebabCaseWithDefaults() {
    String help = help("train", "--help");

    for (String row : List.of("--output DIR", "--batch-size N", "Local minibatch size (default 64)",
        "--fashion-mnist-dir DIR", "(default /usr/share/datasets/fashion-mnist)", "--lr X", "(default 0.05)",
        "--[no-]baselines", "--dp-epsilon X", "--web-ui-port PORT[-PORT]", "--flink-tls-dir DIR", "--fraction X",
        "--min-silos N", "--byzantine N", "--attack sign-flip|scaled|label-flip", "--strategy NAME", "(default fedavg)")) {
      assertThat(help, containsString(row));
    }
    assertThat(help, containsString("(required)"));
  }

  @Test
  void beamsOwnOptionsOnlyBehindHelpAll() {
    String help = help("train", "--help");

    // the two runner flags the README uses stay visible, in kebab-case
    assertThat(help, containsString("--runner NAME"));
    assertThat(help, containsString("--flink-master HOST:PORT"));
    for (String internal : List.of("--stable-unique-names", "--stableUniqueNames", "--flinkMaster", "--parallelism",
        "--checkpointing-interval", "--job-name", "--temp-location")) {
      assertThat(help, not(containsString(internal)));
    }
    assertThat(help, containsString("fedbeam train --help-all"));
  }

  @Test
  void helpAllAddsBeamsAndFlinksOptionsAfterFedBeams() {
    String all = help("train", "--help-all");

    assertThat(all, containsString("Beam's and Flink's own options"));
    assertThat(all, containsString("--stable-unique-names OFF|WARNING|ERROR"));
    assertThat(all, containsString("--parallelism N"));
    assertThat(all.indexOf("--batch-size"), org.hamcrest.Matchers.lessThan(all.indexOf("--stable-unique-names")));
  }

  @Test
  void everyOwnFlagOfEveryCommandIsShownInANamedGroup() {
    for (var c : List.<Object[]>of(new Object[] {"train", TrainOptions.class}, new Object[] {"agent", AgentOptions.class},
        new Object[] {"orchestrate", OrchestrateOptions.class})) {
      @SuppressWarnings("unchecked")
      Class<? extends PipelineOptions> type = (Class<? extends PipelineOptions>) c[1];
      String help = helpOf((String) c[0]);
      for (Option o : OptionFlags.own(type)) {
        assertThat(c[0] + " --help shows " + o.flag(), help, containsString(o.flag()));
      }
      // a flag in no group lands under "More options": a new flag must be given its group in Help.GROUPS
      assertThat(help, not(containsString("More options")));
      assertThat(help, not(matchesPattern("(?s).*\\b(org\\.apache|org\\.fedbeam|java\\.lang)\\..*")));
    }
  }

  @Test
  void trainHelpListsEveryStrategyWithItsParametersDefaultsAndRanges() {
    String help = help("train", "--help");

    for (Strategies.Entry e : Strategies.all()) {
      assertThat(help, containsString(" " + e.name() + " "));
      for (StrategyParam p : e.params()) {
        assertThat(help, containsString(p.name().equals("byzantine") ? "--strategy-params byzantine=N" : p.flag()));
        assertThat(help, containsString("in " + p.range()));
      }
    }
    assertThat(help, containsString("--server-lr X"));
    assertThat(help, containsString("(default 0.9, in [0, 1))"));
  }

  @Test
  void agentAndOrchestrateHelpListTheirFlags() {
    String agent = helpOf("agent");
    String orchestrate = helpOf("orchestrate");

    assertThat(agent, containsString("--policy FILE"));
    assertThat(agent, containsString("--warm-up-runs N"));
    assertThat(agent, containsString("(default 5)"));
    assertThat(agent, containsString("--once"));
    assertThat(agent.indexOf("--policy"), org.hamcrest.Matchers.lessThan(agent.indexOf("--once")));
    assertThat(orchestrate, containsString("--job FILE"));
    assertThat(orchestrate, containsString("--web-ui-port PORT[-PORT]"));
    assertThat(orchestrate, not(containsString("--strategy")));
  }

  @Test
  void simpleCommandsHaveHelpToo() {
    assertThat(helpOf("keys"), containsString("--out DIR"));
    assertThat(helpOf("keys"), containsString("--key DIR"));
    assertThat(helpOf("audit"), containsString("--log PATH"));
    assertThat(helpOf("pipeline"), containsString("--list"));
  }

  @Test
  void clusterHelpListsEveryFormAndItsFlags() {
    String all = helpOf("cluster");
    out.reset();
    String up = help("cluster", "up", "--help");

    for (String verb : List.of("up", "down", "status", "tls", "tls-conf")) {
      assertThat(all, containsString("fedbeam cluster " + verb));
    }
    assertThat(all, containsString("--clusters-dir DIR"));
    assertThat(all, containsString("(default ~/.fedbeam/clusters)"));
    assertThat(all, containsString("--json"));
    assertThat(up, containsString("--role orchestrator|silo"));
    assertThat(up, not(containsString("tls-conf")));
  }

  @Test
  void topLevelHelpListsTheCommands() {
    String help = help("--help");

    for (String c : List.of("train", "agent", "orchestrate", "keys", "audit", "pipeline", "cluster", "bench", "demo")) {
      assertThat(help, containsString("fedbeam " + c));
    }
    assertThat(help, containsString("fedbeam --version"));
  }

  @Test
  void versionPrintsTheVersionAndTheBuildsCommit() {
    String line = help("--version").strip();

    // in a checkout with git history the build knows the commit and its date; from a source tarball, "unknown"
    String commit = java.nio.file.Files.exists(java.nio.file.Path.of("..", ".git"))
        ? "commit [0-9a-f]{7}, \\d{4}-\\d{2}-\\d{2}(, with uncommitted changes)?" : "commit unknown";
    assertThat(line, matchesPattern("fedbeam \\d+\\.\\d+\\.\\d+(-SNAPSHOT)? \\(" + commit + "\\)"));
  }

  @Test
  void aBuildWithoutGitSaysCommitUnknown() {
    Properties versionOnly = new Properties(); // what the build writes where git finds no history
    versionOnly.setProperty("version", "0.1.0");
    Properties built = new Properties();
    built.setProperty("version", "0.1.0");
    built.setProperty("commit", "1a2b3c4");
    built.setProperty("commit_date", "2026-12-01");

    assertThat(Version.line(versionOnly), equalTo("fedbeam 0.1.0 (commit unknown)"));
    assertThat(Version.line(built), equalTo("fedbeam 0.1.0 (commit 1a2b3c4, 2026-12-01)"));
    assertThat(Version.line(new Properties()), equalTo("fedbeam (version unknown) (commit unknown)"));
  }

  private String helpOf(String command) {
    out.reset();
    return help(command, "--help");
  }
}
