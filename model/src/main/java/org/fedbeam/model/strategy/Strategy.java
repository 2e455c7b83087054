package org.fedbeam.model.strategy;

import java.util.Map;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.TrainConfig;
import org.fedbeam.model.aggregate.Aggregator;
import org.fedbeam.model.aggregate.WeightedMean;

/**
 * A federated strategy, in the shape of Flower's {@code Strategy}: what the round loop asks of the
 * server side's algorithm. Every method has FedAvg's behaviour by default, so an algorithm
 * overrides only what it changes: FedProx {@link #configureRound}, FedMedian {@link #aggregator},
 * FedAvgM and FedAdam {@link #serverStep}. Instances are immutable and made by {@link Strategies}
 * from a name and parameters; all the state a strategy carries from round to round is in the
 * {@link ServerState} the loop passes in and persists with the run.
 */
public interface Strategy extends java.io.Serializable {
  /** The registry name ({@code fedavg}, {@code fedadam}, ...). */
  String name();

  /** The strategy's parameters by their job-file names, for provenance and the run's summary. */
  Map<String, Double> parameters();

  /**
   * Checks that the strategy can run with {@code silosPerRound} silos in each round (Krum needs
   * more silos than it tolerates Byzantine ones); the message names the parameter.
   *
   * @throws IllegalArgumentException if it cannot
   */
  default void validate(int silosPerRound) {}

  /**
   * The fewest updates a round needs for this strategy's aggregator to give a result (Krum:
   * {@code 2f + 3}); the round loop's quorum is never below it, so a short round is retried or
   * fails as a quorum failure instead of in the aggregation.
   */
  default int minimumUpdates() {
    return 1;
  }

  /** The local training config of round {@code round} (FedProx adds its proximal term). */
  default TrainConfig configureRound(int round, TrainConfig base) {
    return base;
  }

  /** How the round's updates are combined. */
  default Aggregator<?> aggregator() {
    return WeightedMean.INSTANCE;
  }

  /** The server state before round 1, for a model that starts at {@code initial}. */
  default ServerState initialState(Parameters initial) {
    return ServerState.EMPTY;
  }

  /**
   * The next global model from the current one and the round's aggregate, and the state after
   * the step. FedAvg takes the aggregate as it is.
   */
  default Step serverStep(int round, Parameters global, Parameters aggregate, ServerState state) {
    return new Step(aggregate, state);
  }

  /**
   * Whether round {@code round} counts with {@code accepted} updates and {@code failures} silos
   * that failed, refused, timed out or were left out; a round that does not count is retried or
   * fails the job. FedAvg accepts any round with at least one update (the loop's quorum comes first).
   */
  default boolean accept(int round, int accepted, int failures) {
    return accepted >= 1;
  }

  /** What the strategy holds in memory at the server, in words (for the docs and --help). */
  default String memory() {
    return aggregator().keepsEveryInput() ? "every update of the round (silos x parameters)"
        : "one running weighted sum (parameters)";
  }

  /** The outcome of a server step. */
  record Step(Parameters model, ServerState state) {
    public Step {
      if (model == null || state == null) {
        throw new IllegalArgumentException("a server step needs a model and a state");
      }
    }
  }
}
