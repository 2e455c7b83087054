package org.fedbeam.model.aggregate;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.WeightedSum;

/**
 * The weighted mean {@code sum(w_i * p_i) / sum(w_i)}: FedAvg's aggregate (McMahan et al. 2017)
 * with weights = local sample counts. Its accumulator is a {@link WeightedSum}: O(parameters),
 * whatever the number of silos.
 */
public final class WeightedMean implements Aggregator<WeightedSum> {
  private static final long serialVersionUID = 1L;
  /** The one instance: it holds nothing. */
  public static final WeightedMean INSTANCE = new WeightedMean();

  private WeightedMean() {}

  @Override
  public String name() {
    return "weighted-mean";
  }

  @Override
  public boolean keepsEveryInput() {
    return false;
  }

  @Override
  public WeightedSum create(ModelSpec spec) {
    return new WeightedSum(spec);
  }

  @Override
  public void add(WeightedSum sum, String silo, Parameters update, double weight) {
    sum.add(update, weight);
  }

  @Override
  public void merge(WeightedSum into, WeightedSum other) {
    into.merge(other);
  }

  @Override
  public void compact(WeightedSum sum) {
    sum.fold();
  }

  @Override
  public long count(WeightedSum sum) {
    return sum.count();
  }

  @Override
  public Parameters result(WeightedSum sum) {
    return sum.average();
  }

  @Override
  public void write(WeightedSum sum, DataOutputStream out) throws IOException {
    sum.writeTo(out);
  }

  @Override
  public WeightedSum read(ModelSpec spec, DataInputStream in) throws IOException {
    WeightedSum sum = WeightedSum.readFrom(in);
    if (!sum.spec().equals(spec)) {
      throw new IOException("a weighted sum of " + sum.spec() + " where " + spec + " was expected");
    }
    return sum;
  }

  private Object readResolve() {
    return INSTANCE;
  }
}
