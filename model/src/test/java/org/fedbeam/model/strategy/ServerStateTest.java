package org.fedbeam.model.strategy;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The server state's binary form: a round trip keeps every bit; a corrupt or truncated form is refused by name. */
class ServerStateTest {
  private static final ServerState STATE = ServerState.of(
      Map.of("m", new float[] {1.5f, -0f, Float.MIN_VALUE, 3e38f}, "v", new float[] {0, 2, 4, 8}), 7);

  @Test
  void encodeThenDecodeGivesTheSameStateAndTheSameBytes() {
    byte[] bytes = STATE.encode();

    ServerState back = ServerState.decode(bytes, "state.bin");

    assertThat(back, equalTo(STATE));
    assertThat(back.steps(), equalTo(7L));
    assertThat(back.vector("m"), equalTo(new float[] {1.5f, -0f, Float.MIN_VALUE, 3e38f}));
    assertThat(back.encode(), equalTo(bytes));
    assertThat(ServerState.decode(ServerState.EMPTY.encode(), "empty"), equalTo(ServerState.EMPTY));
  }

  @Test
  void theStateIsACopyNoCallerCanChange() {
    float[] v = {1, 2};
    ServerState s = ServerState.of(Map.of("v", v), 1);
    v[0] = 99;
    s.vector("v")[1] = 99;

    assertThat(s.vector("v"), equalTo(new float[] {1, 2}));
    assertThat(s.vector("none"), nullValue());
  }

  @Test
  void aTruncatedStateIsRefusedNamingItsSource() {
    byte[] bytes = STATE.encode();
    for (int cut : new int[] {0, 3, 11, 20, bytes.length - 1}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> ServerState.decode(Arrays.copyOf(bytes, cut), "round-3.state"));

      assertThat(e.getMessage(), containsString("round-3.state"));
    }
  }

  @Test
  void otherBytesAreNotAState() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ServerState.decode("{\"m\": [1, 2]}".getBytes(java.nio.charset.StandardCharsets.UTF_8), "x.state"));

    assertThat(e.getMessage(), equalTo("x.state is not a FedBeam server state"));
  }

  @Test
  void anotherVersionIsRefused() {
    byte[] bytes = STATE.encode();
    ByteBuffer.wrap(bytes).putInt(4, 99);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ServerState.decode(bytes, "x.state"));

    assertThat(e.getMessage(), equalTo("x.state is server state version 99, this FedBeam reads 1"));
  }

  @Test
  void aVectorClaimingMoreValuesThanTheBytesHoldIsRefusedBeforeAllocating() throws IOException {
    byte[] bytes = header(1, 1, "m", Integer.MAX_VALUE - 8);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ServerState.decode(bytes, "x.state"));

    assertThat(e.getMessage(), containsString("x.state is corrupt: vector m claims"));
  }

  @Test
  void negativeCountsAndTrailingBytesAreRefused() throws IOException {
    byte[] negative = header(-1, 1, "m", 0);
    byte[] trailing = Arrays.copyOf(STATE.encode(), STATE.encode().length + 2);

    assertThat(assertThrows(IllegalArgumentException.class, () -> ServerState.decode(negative, "a")).getMessage(),
        containsString("a is corrupt"));
    assertThat(assertThrows(IllegalArgumentException.class, () -> ServerState.decode(trailing, "b")).getMessage(),
        equalTo("b is corrupt: 2 bytes after the state"));
    assertThat(STATE, not(equalTo(ServerState.of(Map.of("m", new float[4]), 7))));
  }

  private static byte[] header(long steps, int count, String name, int length) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(0x46425353);
      out.writeInt(1);
      out.writeLong(steps);
      out.writeInt(count);
      out.writeUTF(name);
      out.writeInt(length);
      out.writeFloat(1f);
    }
    return bytes.toByteArray();
  }
}
