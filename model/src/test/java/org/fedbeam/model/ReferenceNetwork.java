package org.fedbeam.model;

import java.util.ArrayList;
import java.util.List;
import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.CommonOps_FDRM;
import org.fedbeam.data.Dataset;

/**
 * An independent forward pass in pure Java (EJML), written from the documented parameter layout of
 * {@link ModelSpec}: per layer a row-major fan-in x fan-out weight matrix, then the bias vector;
 * ReLU on hidden layers, softmax on the output. Used to cross-check the native BLAS path of
 * {@link DenseNetwork} and to find ReLU kinks in the gradient check.
 */
final class ReferenceNetwork {
  private ReferenceNetwork() {}

  /** The pre-activation matrix ({@code rows x width}) of every layer, input excluded. */
  static List<FMatrixRMaj> preActivations(Parameters parameters, Dataset data) {
    ModelSpec spec = parameters.spec();
    float[] values = parameters.toArray();
    FMatrixRMaj a = new FMatrixRMaj(data.size(), spec.inputs());
    for (int r = 0; r < data.size(); r++) {
      for (int c = 0; c < spec.inputs(); c++) {
        a.set(r, c, data.feature(r, c));
      }
    }
    List<FMatrixRMaj> zs = new ArrayList<>();
    for (int l = 0; l < spec.depth(); l++) {
      int fanIn = spec.layers().get(l);
      int fanOut = spec.layers().get(l + 1);
      FMatrixRMaj w = new FMatrixRMaj(fanIn, fanOut);
      System.arraycopy(values, spec.weightOffset(l), w.data, 0, fanIn * fanOut);
      FMatrixRMaj z = new FMatrixRMaj(data.size(), fanOut);
      CommonOps_FDRM.mult(a, w, z);
      for (int r = 0; r < data.size(); r++) {
        for (int c = 0; c < fanOut; c++) {
          z.add(r, c, values[spec.biasOffset(l) + c]);
        }
      }
      zs.add(z);
      a = z.copy();
      for (int i = 0; i < a.data.length; i++) {
        a.data[i] = Math.max(a.data[i], 0f);
      }
    }
    return zs;
  }

  /** Softmax probabilities, row-major {@code rows x classes}, computed in double. */
  static float[] probabilities(Parameters parameters, Dataset data) {
    List<FMatrixRMaj> zs = preActivations(parameters, data);
    FMatrixRMaj logits = zs.get(zs.size() - 1);
    int classes = parameters.spec().classes();
    float[] out = new float[data.size() * classes];
    for (int r = 0; r < data.size(); r++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < classes; c++) {
        max = Math.max(max, logits.get(r, c));
      }
      double sum = 0;
      for (int c = 0; c < classes; c++) {
        sum += Math.exp(logits.get(r, c) - max);
      }
      for (int c = 0; c < classes; c++) {
        out[r * classes + c] = (float) (Math.exp(logits.get(r, c) - max) / sum);
      }
    }
    return out;
  }

  /** Mean cross-entropy of the labels, computed in double from the reference probabilities. */
  static double meanLoss(Parameters parameters, Dataset data) {
    float[] p = probabilities(parameters, data);
    int classes = parameters.spec().classes();
    double loss = 0;
    for (int r = 0; r < data.size(); r++) {
      loss -= Math.log(p[r * classes + data.label(r)]);
    }
    return loss / data.size();
  }

  /** Whether each hidden pre-activation is > 0 (the ReLU's branch), all hidden layers in order. */
  static boolean[] hiddenSigns(Parameters parameters, Dataset data) {
    List<FMatrixRMaj> zs = preActivations(parameters, data);
    int total = 0;
    for (int l = 0; l + 1 < zs.size(); l++) {
      total += zs.get(l).data.length;
    }
    boolean[] signs = new boolean[total];
    int at = 0;
    for (int l = 0; l + 1 < zs.size(); l++) {
      for (float z : zs.get(l).data) {
        signs[at++] = z > 0;
      }
    }
    return signs;
  }
}
