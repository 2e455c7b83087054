package org.fedbeam.data.table;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import org.fedbeam.data.DataFormatException;
import org.fedbeam.data.Dataset;
import org.fedbeam.data.DatasetFormat;
import org.junit.jupiter.api.Test;

/** The prepared table file: exact round trips, and every damaged or hostile file refused with a clear error. */
class TableFormatTest {
  private static final String SOURCE = "/silo/hospital-a.fbt";
  private static final Table TABLE = new Table("export.csv",
      List.of(new NumericColumn("age", new double[] {54.5, Double.NaN, 31, -2.25e-300}),
          new CategoricalColumn("sex", List.of("f", "m"), new int[] {1, 0, -1, 0}),
          new NumericColumn("bmi", new double[] {22.1, 30, 27.5, 0})),
      new CategoricalColumn("outcome", List.of("no", "yes"), new int[] {0, 1, 1, 0}));
  private static final String HEADER = "{\"rows\":2,\"columns\":[{\"name\":\"x\",\"type\":\"numeric\"},"
      + "{\"name\":\"c\",\"type\":\"categorical\",\"dictionary\":[\"a\",\"b\"]}],\"label\":{\"name\":\"y\",\"dictionary\":[\"0\",\"1\"]}}";

  @Test
  void aTableRoundTripsExactlyWithItsMissingValues() {
    Table decoded = TableFormat.decode(TableFormat.encode(TABLE), SOURCE);

    assertThat(decoded.source(), equalTo(SOURCE));
    assertThat(decoded.columnNames(), equalTo(List.of("age", "sex", "bmi")));
    assertArrayEquals(((NumericColumn) TABLE.column("age")).values(), ((NumericColumn) decoded.column("age")).values());
    assertArrayEquals(((NumericColumn) TABLE.column("bmi")).values(), ((NumericColumn) decoded.column("bmi")).values());
    CategoricalColumn sex = (CategoricalColumn) decoded.column("sex");
    assertThat(sex.dictionary(), equalTo(List.of("f", "m")));
    assertThat(List.of(sex.value(0), sex.value(1), String.valueOf(sex.value(2)), sex.value(3)), equalTo(List.of("m", "f", "null", "f")));
    assertThat(decoded.label().name(), equalTo("outcome"));
    assertThat(decoded.label().dictionary(), equalTo(List.of("no", "yes")));
    assertThat(List.of(decoded.label().code(0), decoded.label().code(1), decoded.label().code(2), decoded.label().code(3)),
        equalTo(List.of(0, 1, 1, 0)));
  }

  @Test
  void theMagicNumberTellsATableFromAShard() {
    byte[] shard = DatasetFormat.encode(new Dataset("d", new float[] {0.5f, 0.25f}, new int[] {0, 1}, 1, 2));

    assertTrue(TableFormat.isTable(TableFormat.encode(TABLE)));
    assertFalse(TableFormat.isTable(shard));
    assertFalse(TableFormat.isTable(new byte[] {'F', 'B'}));
    assertThat(assertThrows(DataFormatException.class, () -> TableFormat.decode(shard, SOURCE)).getMessage(),
        equalTo(SOURCE + ": not a FedBeam table file (bad magic number)"));
  }

  @Test
  void everyTruncationIsRefusedNamingTheFile() {
    byte[] bytes = TableFormat.encode(TABLE);
    for (int length = 0; length < bytes.length; length++) {
      byte[] cut = Arrays.copyOf(bytes, length);
      DataFormatException e = assertThrows(DataFormatException.class, () -> TableFormat.decode(cut, SOURCE), "length " + length);
      assertThat(e.getMessage(), startsWith(SOURCE + ": "));
    }
  }

  @Test
  void everySingleBitFlipIsRefused() {
    byte[] bytes = TableFormat.encode(TABLE);
    for (int bit = 0; bit < 8 * bytes.length; bit++) {
      byte[] flipped = bytes.clone();
      flipped[bit / 8] ^= (byte) (1 << (bit % 8));
      DataFormatException e = assertThrows(DataFormatException.class, () -> TableFormat.decode(flipped, SOURCE), "bit " + bit);
      assertThat(e.getMessage(), startsWith(SOURCE + ": "));
    }
  }

  @Test
  void trailingBytesAreRefused() {
    byte[] bytes = TableFormat.encode(TABLE);

    assertThrows(DataFormatException.class, () -> TableFormat.decode(Arrays.copyOf(bytes, bytes.length + 8), SOURCE));
  }

  @Test
  void anAbsurdRowCountWithAValidDigestIsRefusedBeforeAllocating() {
    byte[] hostile = forge(1, HEADER.replace("\"rows\":2", "\"rows\":2147483647"), new byte[2 * 16]);

    assertThat(assertThrows(DataFormatException.class, () -> TableFormat.decode(hostile, SOURCE)).getMessage(),
        allOf(startsWith(SOURCE + ": 2147483647 rows of 2 columns need"), containsString("bytes the file has")));
  }

  @Test
  void anAbsurdHeaderLengthIsRefused() {
    byte[] bytes = TableFormat.encode(TABLE);
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(6, -1);

    assertThat(assertThrows(DataFormatException.class, () -> TableFormat.decode(bytes, SOURCE)).getMessage(),
        containsString("its header claims 4294967295 bytes"));
  }

  @Test
  void aCountThatDoesNotMatchTheDataIsRefused() {
    byte[] hostile = forge(1, HEADER.replace("\"rows\":2", "\"rows\":3"), new byte[2 * 16]);

    assertThat(assertThrows(DataFormatException.class, () -> TableFormat.decode(hostile, SOURCE)).getMessage(),
        containsString("3 rows of 2 columns need"));
  }

  @Test
  void hostileHeadersWithAValidDigestAreEachNamed() {
    assertRefused(HEADER.replace("\"rows\":2", "\"rows\":-1"), "header field 'rows' must be an integer");
    assertRefused(HEADER.replace("\"rows\":2", "\"rows\":2.5"), "header field 'rows' must be an integer");
    assertRefused(HEADER.replace("\"type\":\"numeric\"", "\"type\":\"text\""), "column 'x' has unknown type 'text'");
    assertRefused(HEADER.replace("\"rows\":2", "\"rows\":2,\"owner\":\"me\""), "header has unknown field 'owner'");
    assertRefused(HEADER.replace("\"rows\":2", "\"rows\":2,\"rows\":2"), "not valid JSON");
    assertRefused(HEADER.replace("[\"a\",\"b\"]", "[\"a\",\"a\"]"), "column 'c': its dictionary repeats a value");
    assertRefused(HEADER.replace("\"name\":\"c\"", "\"name\":\"x\""), "column 'x' appears twice");
    assertRefused(HEADER.replace("\"name\":\"y\"", "\"name\":\"x\""), "the label column 'x' is also a feature");
    assertRefused(HEADER.substring(0, 40), "not valid JSON");
    assertRefused("[1,2]", "not a JSON object");
  }

  @Test
  void codesOutsideTheirDictionaryAndInfiniteValuesAreRefused() {
    assertThat(decodeForged(body(1.0, 2.0, 0, 2, 0, 1)), containsString("column 'c' row 1: code 2 is outside its dictionary of 2 values"));
    assertThat(decodeForged(body(1.0, 2.0, 0, 1, 0, 7)), containsString("column 'y' row 1: code 7"));
    assertThat(decodeForged(body(1.0, 2.0, 0, 1, -1, 1)), containsString("label column 'y' has 1 rows without a value"));
    assertThat(decodeForged(body(1.0, Double.POSITIVE_INFINITY, 0, 1, 0, 1)), containsString("column 'x' row 1: Infinity is not finite"));
  }

  @Test
  void anUnknownVersionIsRefused() {
    byte[] hostile = forge(2, HEADER, body(1.0, 2.0, 0, 1, 0, 1));

    assertThat(assertThrows(DataFormatException.class, () -> TableFormat.decode(hostile, SOURCE)).getMessage(),
        equalTo(SOURCE + ": unsupported table file version 2 (this build reads 1)"));
  }

  private static String decodeForged(byte[] body) {
    byte[] forged = forge(1, HEADER, body);
    return assertThrows(DataFormatException.class, () -> TableFormat.decode(forged, SOURCE)).getMessage();
  }

  private static void assertRefused(String header, String expected) {
    byte[] forged = forge(1, header, body(1.0, 2.0, 0, 1, 0, 1));
    DataFormatException e = assertThrows(DataFormatException.class, () -> TableFormat.decode(forged, SOURCE), header);
    assertThat(e.getMessage(), allOf(startsWith(SOURCE + ": "), containsString(expected)));
  }

  /** Two rows: x (f64), c (i32), y (i32). */
  private static byte[] body(double x0, double x1, int c0, int c1, int y0, int y1) {
    return ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN)
        .putDouble(x0).putDouble(x1).putInt(c0).putInt(c1).putInt(y0).putInt(y1).array();
  }

  /** A file an attacker could write: any header and body, with a correct SHA-256 trailer. */
  private static byte[] forge(int version, String header, byte[] body) {
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer buf = ByteBuffer.allocate(10 + json.length + body.length + 32).order(ByteOrder.LITTLE_ENDIAN);
    buf.put(new byte[] {'F', 'B', 'T', 'B'}).putShort((short) version).putInt(json.length).put(json).put(body);
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(buf.array(), 0, buf.position());
      buf.put(md.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
    return buf.array();
  }
}
