package org.fedbeam.pipelines.federated;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.model.Parameters;
import org.fedbeam.pipelines.protocol.Exchange;
import org.fedbeam.pipelines.protocol.Messages;
import org.fedbeam.pipelines.protocol.RefusalReason;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.transforms.Artifacts;

/**
 * Silos played by a script on a virtual clock, for the orchestrator's timing tests: the
 * orchestrator's {@link ExchangeRounds.Sleeper} advances a {@link ManualClock} instead of waiting,
 * and at the virtual times the script gives (counted from the moment a request was published) a
 * silo reads the request in its exchange slot and writes a validly signed update, or a signed
 * refusal. A silo the script does not name for a slot never answers it. It records when each
 * request was published and when the orchestrator stopped polling for it.
 */
final class ScriptedSilos implements ExchangeRounds.Sleeper {
  /** A clock that moves only when told. */
  static final class ManualClock extends Clock {
    private long millis;

    ManualClock(long millis) {
      this.millis = millis;
    }

    void advance(long by) {
      millis += by;
    }

    @Override
    public long millis() {
      return millis;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException("a test clock in UTC");
    }
  }

  /** What a silo does with one request: answer with an update or a refusal {@code afterMillis} after it was published. */
  record Act(String silo, int round, int attempt, long afterMillis, boolean refuse) {}

  final ManualClock clock = new ManualClock(1_750_000_000_000L);
  private final World world;
  private final String jobId;
  private final List<Act> acts = new ArrayList<>();
  private final Set<Act> done = new java.util.HashSet<>();
  /** Slot -> the virtual time its request was first seen (the time it was published: the clock stands still meanwhile). */
  final Map<Exchange.Slot, Long> published = new LinkedHashMap<>();
  /** Slot -> the virtual time of the last poll interval that ended while it was the newest request. */
  final Map<Exchange.Slot, Long> lastPoll = new LinkedHashMap<>();
  /** Every request the scripted silos read, in order. */
  final List<Messages.RoundRequest> requests = new ArrayList<>();
  int sleeps;
  private Exchange.Slot newest;

  ScriptedSilos(World world, String jobId) {
    this.world = world;
    this.jobId = jobId;
  }

  ScriptedSilos update(String silo, int round, int attempt, double afterSeconds) {
    acts.add(new Act(silo, round, attempt, Math.round(afterSeconds * 1000), false));
    return this;
  }

  ScriptedSilos refuse(String silo, int round, int attempt, double afterSeconds) {
    acts.add(new Act(silo, round, attempt, Math.round(afterSeconds * 1000), true));
    return this;
  }

  /** Seconds from the publication of {@code round}/{@code attempt}'s requests to the orchestrator's last poll for them. */
  double openSeconds(int round, int attempt) {
    Exchange.Slot slot = new Exchange.Slot(jobId, round, attempt);
    return (lastPoll.get(slot) - published.get(slot)) / 1000.0;
  }

  @Override
  public void sleep(long millis) {
    if (millis <= 0) {
      throw new AssertionError("the orchestrator asked to sleep " + millis + " ms");
    }
    sleeps++;
    Exchange.Slot newest = seeRequests();
    clock.advance(millis);
    lastPoll.put(newest, clock.millis());
    for (Act act : acts) {
      Exchange.Slot slot = new Exchange.Slot(jobId, act.round(), act.attempt());
      Long at = published.get(slot);
      if (!done.contains(act) && at != null && clock.millis() >= at + act.afterMillis()) {
        play(act, slot);
        done.add(act);
      }
    }
  }

  /**
   * Notes the requests published since the last sleep; returns the newest. The orchestrator
   * publishes in order, so after the newest known slot only the next attempt of its round and the
   * first attempt of the next round can be new (a cheap look on the local file system: the test
   * polls once per virtual second).
   */
  private Exchange.Slot seeRequests() {
    while (true) {
      Exchange.Slot next = null;
      List<Exchange.Slot> candidates = newest == null ? List.of(new Exchange.Slot(jobId, 1, 1))
          : List.of(new Exchange.Slot(jobId, newest.round(), newest.attempt() + 1),
              new Exchange.Slot(jobId, newest.round() + 1, 1));
      for (Exchange.Slot slot : candidates) {
        for (String exchange : world.exchanges.values()) {
          if (next == null && Files.exists(Path.of(new Exchange(exchange).request(slot)))) {
            next = slot;
          }
        }
      }
      if (next == null) {
        break;
      }
      published.put(next, clock.millis());
      newest = next;
    }
    if (newest == null) {
      throw new AssertionError("the orchestrator sleeps with no request published");
    }
    return newest;
  }

  private void play(Act act, Exchange.Slot slot) {
    Exchange ex = new Exchange(world.exchanges.get(act.silo()));
    try {
      Signed.Opened opened = Signed.open(Artifacts.read(ex.request(slot), "request"), Set.of(Messages.REQUEST),
          Map.of(world.submitter.keyId(), world.submitter.publicKey()));
      Messages.RoundRequest r = Messages.RoundRequest.fromJson(opened.body());
      requests.add(r);
      if (act.refuse()) {
        Messages.Refusal refusal = new Messages.Refusal(r.jobId(), r.round(), r.nonce(), act.silo(), r.modelSha256(),
            RefusalReason.OUTSIDE_POLICY.text());
        Artifacts.writeAtomically(ex.answer(slot), Signed.seal(Messages.REFUSAL, refusal.toJson(),
            world.siloKeys.get(act.silo())));
        return;
      }
      Parameters global = ModelFormat.decode(Artifacts.read(ex.globalModel(slot), "global model"), "global model");
      float[] v = global.toArray();
      int index = new ArrayList<>(world.exchanges.keySet()).indexOf(act.silo());
      for (int i = 0; i < v.length; i++) {
        v[i] += 0.01f * (index + 1) * ((i % 3) - 1); // a small step, different per silo
      }
      byte[] weights = ModelFormat.encode(Parameters.copyOf(global.spec(), v));
      Messages.UpdateReport report = new Messages.UpdateReport(r.jobId(), r.round(), r.nonce(), act.silo(),
          r.modelSha256(), Artifacts.sha256Hex(weights), Map.of("samples", 120.0, "train_loss", 0.5, "train_ms", 3.0));
      Artifacts.writeAtomically(ex.updateWeights(slot), weights);
      Artifacts.writeAtomically(ex.answer(slot), Signed.seal(Messages.UPDATE, report.toJson(),
          world.siloKeys.get(act.silo())));
    } catch (Exception e) {
      throw new AssertionError("scripted silo " + act.silo() + " cannot answer " + slot + ": " + e, e);
    }
  }
}
