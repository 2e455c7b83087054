package org.fedbeam.pipelines.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.fedbeam.pipelines.loop.TrainOptions;
import org.junit.jupiter.api.Test;

/**
 * Bad flags are usage errors (exit code 2) whose message names the flag and the value, never a Java
 * class or a stack trace; the strategies' parameter flags are collected into {@code --strategyParams}.
 * Nothing here trains: every case is refused while the flags are read.
 */
class FlagErrorsTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  /** Runs {@code fedbeam ARGS}, expects exit code 2, returns the error line(s). */
  private String usageError(String... args) {
    int code = FedBeam.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    String e = err.toString(StandardCharsets.UTF_8);
    assertThat(e, code, equalTo(2));
    for (String javaish : List.of("Exception", "org.apache", "org.fedbeam", "java.lang", "\tat ", "Class interface")) {
      assertThat(e, not(containsString(javaish)));
    }
    err.reset();
    return e;
  }

  private static String[] train(String... flags) {
    String[] args = new String[flags.length + 3];
    args[0] = "train";
    args[1] = "--output";
    args[2] = "/tmp/fedbeam-flag-errors-never-written";
    System.arraycopy(flags, 0, args, 3, flags.length);
    return args;
  }

  @Test
  void aNonNumberNamesTheFlagAndTheValue() {
    assertThat(usageError(train("--lr", "abc")), containsString("--lr must be a number, was 'abc'"));
    assertThat(usageError(train("--dp-epsilon=one")), containsString("--dp-epsilon must be a number, was 'one'"));
  }

  @Test
  void aFractionWhereAWholeNumberIsExpected() {
    assertThat(usageError(train("--silos", "2.5")), containsString("--silos must be a whole number, was '2.5'"));
    assertThat(usageError(train("--seed=1e3")), containsString("--seed must be a whole number, was '1e3'"));
    assertThat(usageError(train("--batchSize=x")), containsString("--batchSize must be a whole number, was 'x'"));
  }

  @Test
  void aBadBoolean() {
    assertThat(usageError(train("--baselines=yes")), containsString("--baselines must be true or false, was 'yes'"));
  }

  @Test
  void anUnknownFlagGetsTheClosestKnownOne() {
    assertThat(usageError(train("--lernrate", "0.1")), containsString("unknown flag --lernrate for train; did you mean --lr?"));
    assertThat(usageError(train("--batch-sise", "8")), containsString("did you mean --batch-size?"));
    assertThat(usageError(train("--server-rl", "0.1")), containsString("did you mean --server-lr?"));
    assertThat(usageError(train("--flink-mastr", "h:1")), containsString("did you mean --flink-master?"));
    assertThat(usageError(train("--zzzzzz", "1")), containsString("unknown flag --zzzzzz for train; 'fedbeam train --help'"));
    assertThat(usageError("agent", "--polcy", "p.json"), containsString("unknown flag --polcy for agent; did you mean --policy?"));
  }

  @Test
  void aMissingRequiredFlag() {
    assertThat(usageError("train", "--lr", "0.1"), containsString("--output is required"));
    assertThat(usageError("orchestrate"), containsString("--job is required"));
    assertThat(usageError("keys", "new"), containsString("--out is required"));
    assertThat(usageError("cluster", "tls-conf"), containsString("--dir is required"));
  }

  @Test
  void aBadValueOfAChoice() {
    assertThat(usageError(train("--stable-unique-names", "FOO")),
        containsString("--stable-unique-names must be one of OFF, WARNING, ERROR; was 'FOO'"));
    assertThat(usageError(train("--runner", "Foo")), containsString("--runner must be one of"));
    assertThat(usageError(train("--runner", "Foo")), containsString("was 'Foo'"));
  }

  @Test
  void aFlagGivenTwiceOrWithoutItsValue() {
    assertThat(usageError(train("--lr", "0.1", "--lr=0.2")), containsString("--lr given twice ('0.1' and '0.2')"));
    assertThat(usageError(train("--lr")), containsString("--lr needs a value"));
    assertThat(usageError("train", "stray"), containsString("unexpected argument 'stray'"));
  }

  @Test
  void hiddenCommandsAndSubcommandsToo() {
    assertThat(usageError("trian"), containsString("unknown command 'trian'; did you mean train?"));
    assertThat(usageError("cluster", "stauts"), containsString("unknown cluster command 'stauts'; did you mean status?"));
    assertThat(usageError("cluster", "up", "--nme", "x"), containsString("unknown flag --nme for cluster up; did you mean --name?"));
    assertThat(usageError("audit", "verify", "--lg", "x"), containsString("did you mean --log?"));
  }

  @Test
  void strategyFlagsAreCollectedIntoStrategyParams() {
    TrainOptions o = FedBeam.parse("train", List.of("--output", "/tmp/x", "--strategy", "fedadam", "--server-lr", "0.01",
        "--beta1=0.8", "--tau", "1e-3"), TrainOptions.class);

    assertThat(o.getStrategy(), equalTo("fedadam"));
    assertThat(o.getStrategyParams(), equalTo("server_lr=0.01,beta1=0.8,tau=1e-3"));
  }

  @Test
  void strategyParamsGivenAsOneFlagAndAsFlagsAreMerged() {
    TrainOptions o = FedBeam.parse("train", List.of("--output=/tmp/x", "--strategy=krum", "--strategy-params",
        "byzantine=2", "--byzantine", "1"), TrainOptions.class);

    assertThat(o.getStrategyParams(), equalTo("byzantine=2"));
    assertThat(o.getByzantine(), equalTo(1)); // the simulation's attackers, not Krum's f
  }

  @Test
  void badStrategyFlags() {
    assertThat(usageError(train("--strategy", "fedprox", "--mu", "abc")), containsString("--mu must be a number, was 'abc'"));
    assertThat(usageError(train("--strategy", "fedprox", "--mu", "0.1", "--mu", "0.2")),
        containsString("--mu given twice ('0.1' and '0.2')"));
    assertThat(usageError(train("--strategy", "fedprox", "--mu", "0.1", "--strategy-params", "mu=0.3")),
        containsString("given twice"));
    assertThat(usageError(train("--mu", "0.1")), containsString("--mu is not a parameter of strategy fedavg"));
    assertThat(usageError(train("--strategy", "fedavgm", "--mu", "0.1")),
        containsString("--mu is not a parameter of strategy fedavgm; it belongs to fedprox"));
    assertThat(usageError(train("--strategy", "fedprx")), containsString("--strategy must be one of fedavg,"));
    assertThat(usageError(train("--strategy", "trimmed-mean", "--beta", "0.5")),
        containsString("--beta must be in [0, 0.5) for strategy trimmed-mean, was '0.5'"));
    assertThat(usageError(train("--strategy", "multi-krum", "--selected", "2.5")),
        containsString("--selected must be a whole number"));
    assertThat(usageError(train("--strategy-params", "nope=1")), containsString("no strategy has a parameter 'nope'"));
    assertThat(usageError(train("--strategy-params", "mu")), containsString("takes NAME=VALUE pairs"));
  }

  @Test
  void camelCaseAndKebabCaseBothWork() {
    TrainOptions o = FedBeam.parse("train", List.of("--output", "/tmp/x", "--fashion-mnist-dir", "/a", "--batchSize=32",
        "--no-baselines", "--weight-decay=0.001"), TrainOptions.class);

    assertThat(List.of(o.getFashionMnistDir(), o.getBatchSize(), o.getBaselines(), o.getWeightDecay()),
        equalTo(List.of("/a", 32, false, 0.001)));
    assertThat(FedBeam.parse("train", List.of("--output=/tmp/x", "--fashionMnistDir=/b"), TrainOptions.class)
        .getFashionMnistDir(), equalTo("/b"));
  }

  /** Beam's own messages, produced by the real PipelineOptionsFactory, said without Java. */
  @Test
  void beamsMessagesAreTranslated() {
    PipelineOptionsFactory.register(TrainOptions.class);
    String[][] cases = {{"--lr=1"}, {"--output=x", "--lernrate=1"}, {"--output=x", "--runner=Foo"},
        {"--output=x", "--silos=2.5"}, {"--output=x", "--stableUniqueNames=FOO"}};
    String[] expected = {"--output is required", "unknown flag --lernrate for train", "--runner must be one of",
        "'2.5'", "must be one of ERROR, WARNING, OFF, was 'FOO'"};
    for (int i = 0; i < cases.length; i++) {
      String[] c = cases[i];
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> PipelineOptionsFactory.fromArgs(c).withValidation().as(TrainOptions.class));
      String said = Flags.translate("train", e.getMessage());
      assertThat(said, containsString(expected[i]));
      assertThat(said, not(containsString("org.")));
      assertThat(said, not(containsString("java")));
      assertThat(said, not(containsString("Class interface")));
    }
  }
}
