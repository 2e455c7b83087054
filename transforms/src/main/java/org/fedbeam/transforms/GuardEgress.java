package org.fedbeam.transforms;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Parameters;

/**
 * The egress guard: the last step of every silo pipeline, between the silo's data and the world.
 *
 * <p>In: the candidates the silo pipeline wants to send out. It lets out ({@link #ALLOWED})
 * exactly one update, and only if: there is exactly one candidate; it names this silo and round;
 * its shape is the requested model's; every value is finite; the L2 norm of its difference from
 * the global model it was trained from is within the policy's bound; and its metadata is a JSON
 * object (no duplicate key, nothing after it) of the allowed fields only, each within its
 * {@link MetadataRules} range, with {@code samples} an integer from the policy's minimum to the
 * silo's declared count. The metadata that leaves is rebuilt from those numbers, integers as
 * integers and decimals rounded to their rule's significant digits, so no field carries more
 * bits than its rule allows and nothing else in the candidate's text can pass. Anything else is dropped: counted ({@code fedbeam/egressRefused}),
 * and one reason goes to {@link #REFUSED}, worded to say why without repeating any of the data.
 * Allowed updates are counted ({@code fedbeam/egressAllowed}) and their norm recorded
 * ({@code fedbeam/updateNormMilli}, the norm x 1000).
 */
public final class GuardEgress extends PTransform<PCollection<GuardEgress.Candidate>, PCollectionTuple> {
  public static final TupleTag<Candidate> ALLOWED = new TupleTag<>() {};
  public static final TupleTag<String> REFUSED = new TupleTag<>() {};

  /** What a silo pipeline wants to send out: weights and the metadata as a JSON object. */
  public record Candidate(String silo, int round, Parameters weights, String metadataJson) {}

  /**
   * The policy's limits.
   *
   * @param allowedMetadata the metadata fields that may leave (must include {@code samples})
   * @param minSamples the least {@code samples} an update may report
   * @param maxUpdateNorm the bound on the L2 norm of (update - global model)
   * @param rules the range and precision of each metadata field ({@code samples} is checked
   *     against {@code minSamples} and the rules' upper bound, the silo's declared count)
   */
  public record Limits(Set<String> allowedMetadata, long minSamples, double maxUpdateNorm, MetadataRules rules)
      implements Serializable {
    /** Limits with the default metadata rules and no declared sample count. */
    public Limits(Set<String> allowedMetadata, long minSamples, double maxUpdateNorm) {
      this(allowedMetadata, minSamples, maxUpdateNorm,
          MetadataRules.defaults().withSamples(minSamples, (long) MetadataRules.MAX_EXACT));
    }

    public Limits {
      allowedMetadata = Set.copyOf(allowedMetadata);
      if (rules == null) {
        throw new IllegalArgumentException("metadata rules must be given");
      }
      for (String field : allowedMetadata) {
        if (rules.rule(field) == null) {
          throw new IllegalArgumentException("allowed metadata field '" + field + "' has no range and precision rule");
        }
      }
      if (!allowedMetadata.contains("samples")) {
        throw new IllegalArgumentException("allowed metadata must include samples");
      }
      if (!(maxUpdateNorm > 0) || !Double.isFinite(maxUpdateNorm)) {
        throw new IllegalArgumentException("maxUpdateNorm must be a finite number > 0, was " + maxUpdateNorm);
      }
    }
  }

  /**
   * The round and model the update must be for, looked up when the guard runs: a pipeline that
   * is translated once and run every round reads them from that round's descriptor.
   */
  public interface Expectation extends Serializable {
    /** The round and model, looked up once per check. */
    Expected current();
  }

  /** A round and model known when the pipeline is built. */
  public record Expected(int round, ModelSpec spec) implements Expectation {
    @Override
    public Expected current() {
      return this;
    }
  }

  private final String silo;
  private final Expectation expected;
  private final PCollectionView<Parameters> global;
  private final Limits limits;

  private GuardEgress(String silo, Expectation expected, PCollectionView<Parameters> global, Limits limits) {
    this.silo = silo;
    this.expected = expected;
    this.global = global;
    this.limits = limits;
  }

  /** Guards the one update of {@code silo} for {@code round}, trained from {@code global}. */
  public static GuardEgress of(String silo, int round, ModelSpec spec, PCollectionView<Parameters> global, Limits limits) {
    return new GuardEgress(silo, new Expected(round, spec), global, limits);
  }

  /** As {@link #of(String, int, ModelSpec, PCollectionView, Limits)}, the round and model looked up at run time. */
  public static GuardEgress of(String silo, Expectation expected, PCollectionView<Parameters> global, Limits limits) {
    return new GuardEgress(silo, expected, global, limits);
  }

  @Override
  public PCollectionTuple expand(PCollection<Candidate> candidates) {
    PCollectionTuple out = candidates
        .apply("CollectCandidates", WithKeys.<String, Candidate>of("egress"))
        .setCoder(org.apache.beam.sdk.coders.KvCoder.of(StringUtf8Coder.of(), CandidateCoder.of()))
        .apply("AllCandidates", GroupByKey.create())
        .apply("Check", ParDo.of(new CheckFn(silo, expected, global, limits)).withSideInputs(global)
            .withOutputTags(ALLOWED, TupleTagList.of(REFUSED)));
    out.get(ALLOWED).setCoder(CandidateCoder.of());
    out.get(REFUSED).setCoder(StringUtf8Coder.of());
    return out;
  }

  static final class CheckFn extends DoFn<KV<String, Iterable<Candidate>>, Candidate> {
    private static final ObjectMapper JSON = StrictJson.mapper();
    private final String silo;
    private final Expectation expected;
    private final PCollectionView<Parameters> global;
    private final Limits limits;
    private final Counter allowed = Metrics.counter("fedbeam", "egressAllowed");
    private final Counter refused = Metrics.counter("fedbeam", "egressRefused");
    private final Distribution norms = Metrics.distribution("fedbeam", "updateNormMilli");

    CheckFn(String silo, Expectation expected, PCollectionView<Parameters> global, Limits limits) {
      this.silo = silo;
      this.expected = expected;
      this.global = global;
      this.limits = limits;
    }

    @ProcessElement
    public void process(ProcessContext context) {
      List<Candidate> all = new ArrayList<>();
      context.element().getValue().forEach(all::add);
      String reason;
      double[] norm = new double[1];
      Candidate checked = null;
      if (all.size() != 1) {
        reason = "the silo pipeline produced " + all.size() + " updates; exactly one may leave";
      } else {
        Candidate c = all.get(0);
        Expected now = expected.current();
        reason = check(c, now.round(), now.spec(), context.sideInput(global), norm);
        if (reason == null) {
          checked = new Candidate(c.silo(), c.round(), c.weights(), cleanMetadata(c.metadataJson()));
        }
      }
      if (checked != null) {
        allowed.inc();
        norms.update(Math.round(norm[0] * 1000));
        context.output(checked);
      } else {
        refused.inc(Math.max(1, all.size()));
        context.output(REFUSED, reason);
      }
    }

    /** Null if the candidate may leave, else the reason (no data in it). */
    private String check(Candidate c, int round, ModelSpec spec, Parameters start, double[] norm) {
      if (!silo.equals(c.silo()) || round != c.round()) {
        return "the update names another silo or round";
      }
      Parameters w = c.weights();
      if (!w.spec().equals(spec)) {
        return "the update's shape does not match the requested model";
      }
      double sum = 0;
      for (int i = 0; i < w.size(); i++) {
        float v = w.get(i);
        if (!Float.isFinite(v)) {
          return "the update has values that are not finite numbers";
        }
        double d = (double) v - start.get(i);
        sum += d * d;
      }
      norm[0] = Math.sqrt(sum);
      if (!(norm[0] <= limits.maxUpdateNorm())) {
        return "the update's norm is over the policy's bound";
      }
      return metadataProblem(c.metadataJson(), null);
    }

    /**
     * Null if the metadata may leave, else the reason (no data in it); when {@code clean} is not
     * null, the fields that may leave are put there, rebuilt from their rules.
     */
    private String metadataProblem(String json, ObjectNode clean) {
      JsonNode m;
      try {
        m = JSON.readTree(json);
      } catch (IOException | RuntimeException e) {
        return "the metadata is not a JSON object of numeric fields";
      }
      if (m == null || !m.isObject()) {
        return "the metadata is not a JSON object of numeric fields";
      }
      JsonNode samples = m.get("samples");
      if (samples == null || !samples.isIntegralNumber() || !samples.canConvertToLong()
          || samples.asLong() < limits.minSamples()) {
        return "the update reports fewer samples than the policy's minimum";
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = m.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> f = it.next();
        if (!limits.allowedMetadata().contains(f.getKey())) {
          return "the metadata has fields outside the policy's allowed set";
        }
        if (!f.getValue().isNumber() || !Double.isFinite(f.getValue().asDouble())) {
          return "the metadata has a value that is not a finite number";
        }
        Number value = limits.rules().rule(f.getKey()).apply(f.getValue());
        if (value == null) {
          return f.getKey().equals("samples") ? "the update reports more samples than the silo declared"
              : "the metadata field " + f.getKey() + " is outside the policy's range or precision";
        }
        if (clean != null) {
          if (value instanceof Long l) {
            clean.put(f.getKey(), l);
          } else {
            clean.put(f.getKey(), value.doubleValue());
          }
        }
      }
      return null;
    }

    /** The allowed fields, rebuilt from their rules: nothing but range-checked, rounded numbers leaves. */
    private String cleanMetadata(String json) {
      ObjectNode clean = JSON.createObjectNode();
      if (metadataProblem(json, clean) != null) {
        throw new IllegalStateException("metadata checked before");
      }
      try {
        return JSON.writeValueAsString(clean);
      } catch (IOException e) {
        throw new IllegalStateException("metadata checked before", e);
      }
    }
  }

  /** Deterministic coder of {@link Candidate}. */
  public static final class CandidateCoder extends AtomicCoder<Candidate> {
    private static final CandidateCoder INSTANCE = new CandidateCoder();

    public static CandidateCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(Candidate value, OutputStream out) throws IOException {
      StringUtf8Coder.of().encode(value.silo(), out);
      VarIntCoder.of().encode(value.round(), out);
      FedBeamCoders.ParametersCoder.of().encode(value.weights(), out);
      StringUtf8Coder.of().encode(value.metadataJson(), out);
    }

    @Override
    public Candidate decode(InputStream in) throws IOException {
      return new Candidate(StringUtf8Coder.of().decode(in), VarIntCoder.of().decode(in),
          FedBeamCoders.ParametersCoder.of().decode(in), StringUtf8Coder.of().decode(in));
    }

    @Override
    public void verifyDeterministic() {}
  }
}
