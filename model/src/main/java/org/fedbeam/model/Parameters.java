package org.fedbeam.model;

import java.util.Arrays;

/**
 * An immutable parameter vector of a model: the spec that gives it meaning and its float32 values.
 * Instances never share their array with a caller; {@link #toArray()} returns a copy.
 */
public final class Parameters {
  private final ModelSpec spec;
  private final float[] values;

  private Parameters(ModelSpec spec, float[] values) {
    if (spec == null) {
      throw new IllegalArgumentException("parameters need a model spec");
    }
    if (values.length != spec.parameterCount()) {
      throw new IllegalArgumentException(
          "model " + spec + " has " + spec.parameterCount() + " parameters, got " + values.length + " values");
    }
    this.spec = spec;
    this.values = values;
  }

  /** Copies {@code values}; the caller may go on changing its array. */
  public static Parameters copyOf(ModelSpec spec, float[] values) {
    return new Parameters(spec, values.clone());
  }

  /** Takes ownership of a freshly made array that no one else holds. */
  static Parameters adopt(ModelSpec spec, float[] values) {
    return new Parameters(spec, values);
  }

  /** All zeros. */
  public static Parameters zeros(ModelSpec spec) {
    return new Parameters(spec, new float[spec.parameterCount()]);
  }

  public ModelSpec spec() {
    return spec;
  }

  public int size() {
    return values.length;
  }

  public float get(int i) {
    return values[i];
  }

  /** A copy of the values. */
  public float[] toArray() {
    return values.clone();
  }

  /** Copies the values into {@code dst}, which must have room for {@link #size()} floats. */
  public void copyInto(java.nio.FloatBuffer dst) {
    dst.put(0, values, 0, values.length);
  }

  /** Euclidean norm, computed in double. */
  public double l2Norm() {
    double sum = 0;
    for (float v : values) {
      sum += (double) v * v;
    }
    return Math.sqrt(sum);
  }

  /** Index of the first NaN or infinite value, or -1 when every value is finite. */
  public int firstNonFinite() {
    for (int i = 0; i < values.length; i++) {
      if (!Float.isFinite(values[i])) {
        return i;
      }
    }
    return -1;
  }

  /** {@code this - other}, element by element; both must share a spec. */
  public Parameters minus(Parameters other) {
    requireSameSpec(other, "subtract");
    float[] out = new float[values.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = values[i] - other.values[i];
    }
    return new Parameters(spec, out);
  }

  /** Largest absolute element-wise difference to {@code other}. */
  public double maxAbsDifference(Parameters other) {
    requireSameSpec(other, "compare");
    double max = 0;
    for (int i = 0; i < values.length; i++) {
      max = Math.max(max, Math.abs((double) values[i] - other.values[i]));
    }
    return max;
  }

  /** Read access for the aggregation math in this package, without a copy. */
  float[] values() {
    return values;
  }

  private void requireSameSpec(Parameters other, String what) {
    if (!spec.equals(other.spec)) {
      throw new IllegalArgumentException("cannot " + what + " parameters of " + spec + " and " + other.spec);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Parameters p && spec.equals(p.spec) && Arrays.equals(values, p.values);
  }

  @Override
  public int hashCode() {
    return 31 * spec.hashCode() + Arrays.hashCode(values);
  }

  @Override
  public String toString() {
    return "Parameters[" + spec + ", " + values.length + " values]";
  }
}
