package org.fedbeam.pipelines.federated;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.fedbeam.model.WeightCaps;
import org.fedbeam.pipelines.protocol.JobSpec;
import org.fedbeam.pipelines.rounds.AggregationPipeline;

/**
 * The weight each verified update gets in a round's average, and the record of it. Each update
 * claims a sample count, already checked against its silo's declared count ({@link Orchestrator});
 * here each update's share of the round is capped ({@link WeightCaps}): at the job's
 * {@code max_silo_share} for a silo that declared its count, and also at an equal share of the
 * round ({@code 1/k} for {@code k} updates) for a silo that declared none, whose claim nothing
 * checks. The aggregation weighs by whole numbers: when a cap binds, every weight is in units of
 * {@code 2^-shift} samples ({@link WeightCaps#integral}), which gives the same average.
 */
final class RoundWeights {
  private RoundWeights() {}

  /**
   * The updates with their aggregation weights in {@code samples}; writes each silo's claimed
   * samples, share and whether it was capped into {@code roundJson.weights}.
   */
  static List<AggregationPipeline.UpdateRef> weigh(JobSpec job, List<AggregationPipeline.UpdateRef> valid,
      ObjectNode roundJson) {
    int k = valid.size();
    double[] claimed = new double[k];
    double[] caps = new double[k];
    for (int i = 0; i < k; i++) {
      claimed[i] = valid.get(i).samples();
      caps[i] = siloOf(job, valid.get(i).silo()).declared() ? job.maxSiloShare() : Math.min(job.maxSiloShare(), 1.0 / k);
    }
    WeightCaps.Capped capped = WeightCaps.apply(claimed, caps);
    long[] units = WeightCaps.integral(capped);
    ObjectNode weights = roundJson.putObject("weights");
    if (!capped.attainable()) {
      weights.put("note", String.format("the caps cannot all hold with %d update(s) (max_silo_share %s): each gets"
          + " its cap's part of the caps' sum", k, job.maxSiloShare()));
    }
    if (capped.anyCapped()) {
      weights.put("unit", "2^-" + WeightCaps.shift(capped.weights()) + " sample");
    }
    List<AggregationPipeline.UpdateRef> out = new ArrayList<>();
    for (int i = 0; i < k; i++) {
      AggregationPipeline.UpdateRef u = valid.get(i);
      ObjectNode w = weights.putObject(u.silo());
      w.put("samples", u.samples());
      w.put("weight", units[i]);
      w.put("share", capped.share(i));
      if (capped.capped()[i]) {
        w.put("capped", String.format("share %.4g capped at %.4g (%s)", claimed[i] / sum(claimed), caps[i],
            siloOf(job, u.silo()).declared() ? "max_silo_share" : "no declared sample count: at most an equal share"));
      }
      out.add(new AggregationPipeline.UpdateRef(u.silo(), u.round(), u.uri(), u.sha256(), units[i], u.trainLoss(),
          u.trainMillis()));
    }
    return out;
  }

  private static double sum(double[] values) {
    double s = 0;
    for (double v : values) {
      s += v;
    }
    return s;
  }

  private static JobSpec.Silo siloOf(JobSpec job, String id) {
    return job.silos().stream().filter(s -> s.id().equals(id)).findFirst()
        .orElseThrow(() -> new IllegalStateException("update from silo " + id + ", which the job does not list"));
  }
}
