package org.fedbeam.model.onnx;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.instanceOf;
import static org.hamcrest.Matchers.notNullValue;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Review of issue 12 (independent attacker): hostile ONNX graphs built with the real wire format
 * ({@link ProtoWriter}) and fed to the real import. Each must be refused with an
 * {@link OnnxFormatException} within a bounded time.
 */
class OnnxReviewAttackTest {
  /** An input X float[N, 3], the given nodes, and a Gemm 3 -> 2 reading {@code gemmInput}. */
  private static byte[] graph(List<ProtoWriter> nodes, String gemmInput) {
    ProtoWriter g = new ProtoWriter();
    for (ProtoWriter n : nodes) {
      g.message(1, n);
    }
    g.message(1, node("gemm", "Gemm", List.of(gemmInput, "W", "B"), "logits"));
    g.message(5, OnnxTensors.floatTensor("W", new long[] {3, 2}, new float[] {1, 2, 3, 4, 5, 6}));
    g.message(5, OnnxTensors.floatTensor("B", new long[] {2}, new float[] {0, 0}));
    g.string(2, "attack");
    ProtoWriter shape = new ProtoWriter().message(1, new ProtoWriter().string(2, "N"))
        .message(1, new ProtoWriter().varint(1, 3));
    g.message(11, new ProtoWriter().string(1, "X")
        .message(2, new ProtoWriter().message(1, new ProtoWriter().varint(1, OnnxGraph.FLOAT).message(2, shape))));
    g.message(12, new ProtoWriter().string(1, "logits"));
    ProtoWriter model = new ProtoWriter().varint(1, 7);
    model.message(7, g);
    model.message(8, new ProtoWriter().string(1, "").varint(2, 13));
    return model.toByteArray();
  }

  private static ProtoWriter node(String name, String op, List<String> inputs, String output) {
    ProtoWriter n = new ProtoWriter();
    for (String in : inputs) {
      n.string(1, in);
    }
    return n.string(2, output).string(3, name).string(4, op);
  }

  /** Runs the import in a thread of its own; fails (and stops the thread) if it does not end in 10 s. */
  @SuppressWarnings({"deprecation", "removal"})
  private static Throwable importWithin10s(byte[] bytes) throws Exception {
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Thread t = new Thread(() -> {
      try {
        OnnxImport.read(bytes, "cycle.onnx");
      } catch (Throwable e) {
        thrown.set(e);
      }
    }, "onnx-import-under-attack");
    t.setDaemon(true);
    t.start();
    t.join(10_000);
    if (t.isAlive()) {
      StackTraceElement[] where = t.getStackTrace();
      t.stop(); // the loop never checks for interruption
      throw new AssertionError("the ONNX import of a cyclic graph did not end in 10 s (it spins in "
          + (where.length > 0 ? where[0] : "?") + ")");
    }
    return thrown.get();
  }

  // Found by an independent review (a defect, now fixed): OnnxImport.walk follows the single consumer of each tensor with no visited set, so a graph
  // whose pass-through node feeds itself (Identity X -> X) or two Identity nodes feeding each other
  // loop forever: a hostile --initial-model hangs `fedbeam train`/`orchestrate` at 100% CPU.
  @Test
  void anIdentityNodeThatFeedsItselfIsRefusedNotLoopedForever() throws Exception {
    byte[] bytes = graph(List.of(node("self", "Identity", List.of("X"), "X")), "elsewhere");
    Throwable e = importWithin10s(bytes);
    assertThat("a self-loop must be refused", e, notNullValue());
    assertThat(e, instanceOf(OnnxFormatException.class));
    assertThat(e.getMessage(), containsString("cycle.onnx"));
  }

  // Found by an independent review (a defect, now fixed): as above, a two-node cycle a -> b -> a after the input.
  @Test
  void twoIdentityNodesFeedingEachOtherAreRefusedNotLoopedForever() throws Exception {
    byte[] bytes = graph(List.of(node("in", "Identity", List.of("X"), "a"), node("ab", "Identity", List.of("a"), "b"),
        node("ba", "Identity", List.of("b"), "a")), "elsewhere");
    Throwable e = importWithin10s(bytes);
    assertThat("a cycle must be refused", e, notNullValue());
    assertThat(e, instanceOf(OnnxFormatException.class));
  }
}
