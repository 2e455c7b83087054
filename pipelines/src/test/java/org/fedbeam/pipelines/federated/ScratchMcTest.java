package org.fedbeam.pipelines.federated;

import java.util.List;
import org.fedbeam.data.Dataset;
import org.fedbeam.model.*;
import org.fedbeam.model.privacy.RdpAccountant;
import org.junit.jupiter.api.Test;

class ScratchMcTest {
  @Test
  void mc() {
    Dataset d = org.fedbeam.pipelines.Fixtures.blobs("alpha", 120, 300);
    ModelSpec spec = new ModelSpec(ModelKind.LOGREG, List.of(6, 3));
    Parameters zero = Parameters.zeros(spec);
    DenseNetwork net = new DenseNetwork(spec);
    Dataset other = org.fedbeam.pipelines.Fixtures.blobs("other", 120, 777);
    for (double sigma : new double[] {1.0}) {
      TrainConfig a0 = new TrainConfig(1, 120, 0.1, 0, 0, new DpSgd(1.0, sigma));
      TrainConfig b0 = new TrainConfig(1, 119, 0.1, 0, 0, new DpSgd(1.0, sigma));
      int u = 0, sg = 0;
      for (int t = 0; t < 2000; t++) {
        float[] ua = net.train(zero, other, a0, 1000 + 2 * t).parameters().toArray();
        float[] ub = net.train(zero, other, b0, 1001 + 2 * t).parameters().toArray();
        double[] g = new double[ua.length];
        for (int i = 0; i < g.length; i++) g[i] = -(120.0 * ua[i] - 119.0 * ub[i]) / 0.1;
        double[] x = RowReconstructionAttackTest.reconstruct(spec, g);
        if (RowReconstructionAttackTest.minRelativeError(d, x) < 0.5) u++;
        if (RowReconstructionAttackTest.singlesOut(d, x)) sg++;
      }
      System.out.printf("BASELINE (trained on other data) sigma %.1f: <0.5 in %d/2000, singles out %d/2000%n", sigma, u, sg);
    }
    for (double sigma : new double[] {1.0}) {
      TrainConfig a = new TrainConfig(1, 120, 0.1, 0, 0, new DpSgd(1.0, sigma));
      TrainConfig b = new TrainConfig(1, 119, 0.1, 0, 0, new DpSgd(1.0, sigma));
      RdpAccountant acc = new RdpAccountant();
      var pa = RdpAccountant.Plan.of(a, 120); var pb = RdpAccountant.Plan.of(b, 120);
      acc.add(pa.q(), sigma, pa.steps());
      double e1 = acc.epsilon(1e-5);
      acc.add(pb.q(), sigma, pb.steps());
      System.out.printf("sigma %.1f eps one %.3f two %.3f%n", sigma, e1, acc.epsilon(1e-5));
      int singled = 0, under05 = 0; double minErr = 1e9;
      for (int t = 0; t < 2000; t++) {
        float[] ua = net.train(zero, d, a, 1000 + 2 * t).parameters().toArray();
        float[] ub = net.train(zero, d, b, 1001 + 2 * t).parameters().toArray();
        double[] g = new double[ua.length];
        for (int i = 0; i < g.length; i++) g[i] = -(120.0 * ua[i] - 119.0 * ub[i]) / 0.1;
        double[] x = RowReconstructionAttackTest.reconstruct(spec, g);
        double best = RowReconstructionAttackTest.minRelativeError(d, x);
        minErr = Math.min(minErr, best);
        if (best < 0.5) under05++;
        if (RowReconstructionAttackTest.singlesOut(d, x)) singled++;
      }
      System.out.printf("sigma %.1f: min rel err %.3f, <0.5 in %d/2000, singles out in %d/2000%n", sigma, minErr, under05, singled);
    }
    TrainConfig plain = new TrainConfig(1, 120, 0.1, 0, 0); TrainConfig plainB = new TrainConfig(1, 119, 0.1, 0, 0);
    float[] ua = net.train(zero, d, plain, 1).parameters().toArray();
    float[] ub = net.train(zero, d, plainB, 2).parameters().toArray();
    double[] g = new double[ua.length];
    for (int i = 0; i < g.length; i++) g[i] = -(120.0 * ua[i] - 119.0 * ub[i]) / 0.1;
    double[] x = RowReconstructionAttackTest.reconstruct(spec, g);
    System.out.printf("no DP: min rel err %.3g singles %s%n", RowReconstructionAttackTest.minRelativeError(d, x), RowReconstructionAttackTest.singlesOut(d, x));
  }
}
