package org.fedbeam.model.strategy;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.emptyString;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.fedbeam.model.TrainConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The registry: every entry is usable with its defaults, and every bad name or value is refused by name. */
class StrategiesTest {
  static Stream<Strategies.Entry> entries() {
    return Strategies.all().stream();
  }

  @ParameterizedTest
  @MethodSource("entries")
  void everyEntryHasHelpAndCreatesWithItsDefaults(Strategies.Entry entry) {
    assertThat(entry.help(), not(emptyString()));
    for (StrategyParam p : entry.params()) {
      assertThat(p.help(), not(emptyString()));
      assertThat(p.name(), equalTo(p.name().toLowerCase(java.util.Locale.ROOT)));
      assertThat(p.check(entry.name(), p.defaultValue()), equalTo(p.defaultValue()));
    }

    Strategy strategy = Strategies.create(entry.name(), Map.of());

    assertThat(strategy.name(), equalTo(entry.name()));
    assertThat(strategy.parameters().keySet(), equalTo(names(entry.params())));
    for (StrategyParam p : entry.params()) {
      assertThat(strategy.parameters().get(p.name()), equalTo(p.defaultValue()));
    }
    assertThat(strategy.memory(), not(emptyString()));
  }

  @Test
  void theRegistryHoldsEveryStrategyOfTheIssue() {
    List<String> names = Strategies.all().stream().map(Strategies.Entry::name).toList();

    assertThat(names, equalTo(List.of("fedavg", "fedavgm", "fedprox", "fedadam", "fedyogi", "fedadagrad", "fedmedian",
        "trimmed-mean", "krum", "multi-krum")));
  }

  static Stream<Arguments> outOfRange() {
    List<Arguments> cases = new ArrayList<>();
    for (Strategies.Entry e : Strategies.all()) {
      for (StrategyParam p : e.params()) {
        double below = p.minOpen() ? p.min() : p.min() - 1;
        double above = p.maxOpen() ? p.max() : p.max() + 1;
        cases.add(Arguments.of(e.name(), p, below));
        cases.add(Arguments.of(e.name(), p, above));
        cases.add(Arguments.of(e.name(), p, Double.NaN));
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} {1} = {2}")
  @MethodSource("outOfRange")
  void aValueOutOfRangeIsRefusedNamingStrategyParameterRangeAndValue(String strategy, StrategyParam param, double value) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Strategies.create(strategy, Map.of(param.name(), value)));

    assertThat(e.getMessage(), allOf(containsString("strategy " + strategy), containsString(param.name()),
        containsString(param.range()), containsString("was " + StrategyParam.number(value))));
  }

  @Test
  void directConstructionChecksToo() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new FedAdam(0.1, 1.0, 0.99, 1e-3));

    assertThat(e.getMessage(), equalTo("strategy fedadam: beta1 must be in [0, 1), was 1"));
  }

  @Test
  void aTrimmedMeanBetaOfOneHalfIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Strategies.create("trimmed-mean", Map.of("beta", 0.5)));

    assertThat(e.getMessage(), equalTo("strategy trimmed-mean: beta must be in [0, 0.5), was 0.5"));
  }

  @Test
  void aFractionalByzantineCountIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Strategies.create("krum", Map.of("byzantine", 1.5)));

    assertThat(e.getMessage(), equalTo("strategy krum: byzantine must be a whole number, was 1.5"));
  }

  @Test
  void anUnknownStrategyIsRefusedListingTheKnownOnes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Strategies.create("fedsgd", Map.of()));

    assertThat(e.getMessage(), allOf(containsString("unknown strategy 'fedsgd'"), containsString("fedavg, fedavgm, fedprox")));
  }

  @Test
  void anUnknownParameterIsRefusedListingTheStrategysOwn() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Strategies.create("fedadam", Map.of("momentum", 0.9)));

    assertThat(e.getMessage(),
        equalTo("strategy fedadam has no parameter 'momentum'; its parameters: server_lr, beta1, beta2, tau"));
  }

  @Test
  void aParameterOfAnotherStrategyIsRefusedForAStrategyWithoutParameters() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Strategies.create("fedmedian", Map.of("beta", 0.1)));

    assertThat(e.getMessage(), equalTo("strategy fedmedian has no parameter 'beta'; it takes none"));
  }

  @Test
  void krumRefusesTooFewSilosForItsByzantineCount() {
    Strategy krum = Strategies.create("krum", Map.of("byzantine", 2.0));
    krum.validate(7);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> krum.validate(6));

    assertThat(e.getMessage(), equalTo("strategy krum: byzantine 2 needs at least 7 silos per round, the job has 6"));
    assertThat(krum.accept(1, 6, 1), is(false));
    assertThat(krum.accept(1, 7, 0), is(true));
  }

  @Test
  void multiKrumRefusesTooFewSilosAndMoreSelectedThanItMayKeep() {
    Strategy tooFew = Strategies.create("multi-krum", Map.of("byzantine", 1.0));
    Strategy tooMany = Strategies.create("multi-krum", Map.of("byzantine", 1.0, "selected", 5.0));

    IllegalArgumentException few = assertThrows(IllegalArgumentException.class, () -> tooFew.validate(4));
    IllegalArgumentException many = assertThrows(IllegalArgumentException.class, () -> tooMany.validate(5));

    assertThat(few.getMessage(), equalTo("strategy multi-krum: byzantine 1 needs at least 5 silos per round, the job has 4"));
    assertThat(many.getMessage(), containsString("strategy multi-krum: selected 5 is more than the 4 updates"));
    tooMany.validate(6);
    assertThat(tooMany.accept(1, 5, 1), is(false));
    assertThat(tooMany.accept(1, 6, 0), is(true));
  }

  @Test
  void fedProxSetsTheProximalCoefficientOfEveryRoundAndNothingElse() {
    TrainConfig base = new TrainConfig(2, 32, 0.05, 0.9, 1e-4);

    TrainConfig round = Strategies.create("fedprox", Map.of("mu", 0.3)).configureRound(4, base);

    assertThat(round, equalTo(base.withProximalMu(0.3)));
    assertThat(Strategies.create("fedavg", Map.of()).configureRound(4, base), equalTo(base));
  }

  @Test
  void theNamesAreCaseInsensitive() {
    assertThat(Strategies.create(" FedAdam ", Map.of()).name(), equalTo("fedadam"));
  }

  private static java.util.Set<String> names(List<StrategyParam> params) {
    java.util.Set<String> names = new java.util.HashSet<>();
    params.forEach(p -> names.add(p.name()));
    return names;
  }
}
