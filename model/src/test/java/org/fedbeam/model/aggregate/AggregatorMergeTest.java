package org.fedbeam.model.aggregate;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Parameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every aggregator gives the same bits whatever the order in which updates are added, however they
 * are split between accumulators and merged, and after its accumulators go through their binary
 * form; the keeping accumulator's reader refuses corrupt input.
 */
class AggregatorMergeTest {
  private static final ModelSpec SPEC = ModelSpec.of(3, List.of(4), 3); // 31 parameters
  private static final int SILOS = 9;

  static Stream<Aggregator<?>> aggregators() {
    return Stream.of(WeightedMean.INSTANCE, CoordinateMedian.INSTANCE, new TrimmedMean(0.2), new TrimmedMean(0),
        KrumSelection.krum(2), KrumSelection.multiKrum(2, 0), KrumSelection.multiKrum(1, 3));
  }

  @ParameterizedTest
  @MethodSource("aggregators")
  void addingInAnyOrderMergingAndEncodingGiveTheSameBits(Aggregator<?> aggregator) throws IOException {
    check(aggregator);
  }

  private static <A> void check(Aggregator<A> aggregator) throws IOException {
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < SILOS; i++) {
      order.add(i);
    }
    Parameters reference = aggregator.result(accumulate(aggregator, order));

    Collections.reverse(order);
    assertThat("reversed", aggregator.result(accumulate(aggregator, order)), equalTo(reference));
    Collections.shuffle(order, new java.util.Random(5));
    assertThat("shuffled", aggregator.result(accumulate(aggregator, order)), equalTo(reference));

    A first = accumulate(aggregator, order.subList(0, 4));
    A second = accumulate(aggregator, order.subList(4, SILOS));
    A merged = roundTrip(aggregator, second);
    aggregator.merge(merged, roundTrip(aggregator, first));
    assertThat("merged after encoding", aggregator.result(merged), equalTo(reference));

    A three = accumulate(aggregator, List.of(8, 0));
    aggregator.merge(three, accumulate(aggregator, List.of()));
    aggregator.merge(three, accumulate(aggregator, List.of(3, 5, 1, 7, 2, 6, 4)));
    assertThat("three parts", aggregator.result(three), equalTo(reference));
    assertThat(aggregator.count(three), equalTo((long) SILOS));

    A whole = accumulate(aggregator, order);
    assertThat("encoded", aggregator.result(roundTrip(aggregator, whole)), equalTo(reference));
  }

  @Test
  void theKeptUpdatesBinaryFormDoesNotDependOnTheOrderOfAdding() throws IOException {
    List<Integer> forward = List.of(0, 1, 2, 3, 4);
    List<Integer> backward = List.of(4, 3, 2, 1, 0);

    assertThat(bytes(CoordinateMedian.INSTANCE, accumulate(CoordinateMedian.INSTANCE, backward)),
        equalTo(bytes(CoordinateMedian.INSTANCE, accumulate(CoordinateMedian.INSTANCE, forward))));
  }

  @Test
  void aCorruptKeptUpdatesStreamIsRefused() throws IOException {
    byte[] good = bytes(CoordinateMedian.INSTANCE, accumulate(CoordinateMedian.INSTANCE, List.of(0, 1, 2)));

    byte[] huge = good.clone();
    ByteBuffer.wrap(huge).putInt(0, Integer.MAX_VALUE);
    assertThat(assertThrows(IOException.class, () -> read(huge)).getMessage(),
        containsString("claim 2147483647 updates; at most 65536"));
    assertThrows(IOException.class, () -> read(java.util.Arrays.copyOf(good, good.length - 1)));
    byte[] nan = good.clone();
    ByteBuffer.wrap(nan).putFloat(good.length - 4, Float.NaN);
    assertThat(assertThrows(IOException.class, () -> read(nan)).getMessage(), containsString("non-finite value at 30"));
    byte[] weight = good.clone();
    // the first update: count (4), silo "silo-00" (2 + 7), then its weight
    ByteBuffer.wrap(weight).putDouble(4 + 9, -1);
    assertThat(assertThrows(IOException.class, () -> read(weight)).getMessage(), containsString("weight -1.0"));
  }

  private static KeptUpdates read(byte[] bytes) throws IOException {
    return CoordinateMedian.INSTANCE.read(SPEC, new DataInputStream(new ByteArrayInputStream(bytes)));
  }

  private static <A> A accumulate(Aggregator<A> aggregator, List<Integer> silos) {
    A acc = aggregator.create(SPEC);
    for (int i : silos) {
      aggregator.add(acc, "silo-" + String.format("%02d", i), update(i), 1 + (i * 37) % 11);
    }
    return acc;
  }

  /** Silo i's update: seeded noise around a common centre, silo 8 far off. */
  private static Parameters update(int silo) {
    SplittableRandom random = new SplittableRandom(1000 + silo);
    float[] v = new float[SPEC.parameterCount()];
    for (int j = 0; j < v.length; j++) {
      v[j] = (float) (0.3 * j / v.length + 0.05 * random.nextGaussian() + (silo == 8 ? 5 : 0));
    }
    return Parameters.copyOf(SPEC, v);
  }

  private static <A> A roundTrip(Aggregator<A> aggregator, A acc) throws IOException {
    aggregator.compact(acc);
    return aggregator.read(SPEC, new DataInputStream(new ByteArrayInputStream(bytes(aggregator, acc))));
  }

  private static <A> byte[] bytes(Aggregator<A> aggregator, A acc) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (DataOutputStream data = new DataOutputStream(out)) {
      aggregator.write(acc, data);
    }
    return out.toByteArray();
  }
}
