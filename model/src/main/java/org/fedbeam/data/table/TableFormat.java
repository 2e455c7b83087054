package org.fedbeam.data.table;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.fedbeam.data.DataFormatException;

/**
 * The binary format of a silo's prepared table (a {@code .fbt} file, written by {@code fedbeam prepare}),
 * little-endian:
 *
 * <pre>
 *   magic "FBTB" | u16 version (1) | u32 header length H | H bytes of UTF-8 JSON header
 *   | per feature column, in header order: rows x f64 (numeric, NaN = missing) or rows x i32 (categorical, -1 = missing)
 *   | rows x i32 label codes | 32-byte SHA-256 of every byte before it
 * </pre>
 *
 * The header is {@code {"rows":N,"columns":[{"name":..,"type":"numeric"} | {"name":..,"type":"categorical",
 * "dictionary":[..]}, ..],"label":{"name":..,"dictionary":[..]}}}. {@link #decode} is strict and bounded:
 * every count is checked against the file's length before anything is allocated, and a damaged or hostile
 * file gives a {@link DataFormatException} naming the file and what is wrong.
 */
public final class TableFormat {
  private static final byte[] MAGIC = {'F', 'B', 'T', 'B'};
  private static final int VERSION = 1;
  private static final int PREFIX = 4 + 2 + 4;
  private static final int DIGEST = 32;
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private TableFormat() {}

  /** Whether {@code head} (a file's first bytes, at least 4) starts with this format's magic number. */
  public static boolean isTable(byte[] head) {
    return head != null && head.length >= MAGIC.length && Arrays.equals(head, 0, MAGIC.length, MAGIC, 0, MAGIC.length);
  }

  /** The table as one file's bytes; its source name is not stored. */
  public static byte[] encode(Table t) {
    ObjectNode header = JSON.createObjectNode();
    header.put("rows", t.rows());
    ArrayNode cols = header.putArray("columns");
    long width = 4;
    for (TableColumn c : t.columns()) {
      ObjectNode col = cols.addObject().put("name", c.name()).put("type", c.type());
      if (c instanceof CategoricalColumn cat) {
        cat.dictionary().forEach(col.putArray("dictionary")::add);
        width += 4;
      } else {
        width += 8;
      }
    }
    ObjectNode label = header.putObject("label").put("name", t.label().name());
    t.label().dictionary().forEach(label.putArray("dictionary")::add);
    byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
    long total = PREFIX + (long) json.length + width * t.rows() + DIGEST;
    if (total > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException(t.source() + " is too large for one table file (" + total + " bytes)");
    }
    ByteBuffer buf = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
    buf.put(MAGIC).putShort((short) VERSION).putInt(json.length).put(json);
    for (TableColumn c : t.columns()) {
      for (int r = 0; r < t.rows(); r++) {
        if (c instanceof NumericColumn num) {
          buf.putDouble(num.value(r));
        } else {
          buf.putInt(((CategoricalColumn) c).code(r));
        }
      }
    }
    for (int r = 0; r < t.rows(); r++) {
      buf.putInt(t.label().code(r));
    }
    buf.put(sha256(buf.array(), buf.position()));
    return buf.array();
  }

  /**
   * @param source the file the bytes came from, named in errors (and the table's source)
   * @throws DataFormatException naming {@code source} if the bytes are not one whole, valid table
   */
  public static Table decode(byte[] bytes, String source) {
    if (bytes.length >= MAGIC.length && !isTable(bytes)) {
      throw new DataFormatException(source + ": not a FedBeam table file (bad magic number)");
    }
    if (bytes.length < PREFIX + DIGEST) {
      throw new DataFormatException(source + ": truncated: " + bytes.length + " bytes is shorter than a table file's header");
    }
    ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).position(MAGIC.length);
    int version = Short.toUnsignedInt(buf.getShort());
    if (version != VERSION) {
      throw new DataFormatException(source + ": unsupported table file version " + version + " (this build reads " + VERSION + ")");
    }
    long headerLength = Integer.toUnsignedLong(buf.getInt());
    if (headerLength > bytes.length - PREFIX - DIGEST) {
      throw new DataFormatException(source + ": truncated or damaged: its header claims " + headerLength
          + " bytes, the file has " + (bytes.length - PREFIX - DIGEST) + " after the prefix");
    }
    byte[] digest = sha256(bytes, bytes.length - DIGEST);
    if (!MessageDigest.isEqual(digest, Arrays.copyOfRange(bytes, bytes.length - DIGEST, bytes.length))) {
      throw new DataFormatException(source + ": SHA-256 mismatch: the table file is truncated or corrupted");
    }
    Header h = header(bytes, (int) headerLength, source);
    if (h.rows > 0 && h.rowWidth > (long) bytes.length / h.rows) {
      throw new DataFormatException(source + ": " + h.rows + " rows of " + h.columns.size() + " columns need more than the "
          + bytes.length + " bytes the file has");
    }
    long expected = PREFIX + headerLength + h.rowWidth * h.rows + DIGEST;
    if (bytes.length != expected) {
      throw new DataFormatException(source + ": " + h.rows + " rows of " + h.columns.size() + " columns need " + expected
          + " bytes, the file has " + bytes.length);
    }
    buf.position(PREFIX + (int) headerLength);
    List<TableColumn> columns = new ArrayList<>();
    try {
      for (ColumnSpec c : h.columns) {
        if (c.dictionary == null) {
          double[] v = new double[h.rows];
          buf.asDoubleBuffer().get(v);
          buf.position(buf.position() + 8 * h.rows);
          columns.add(new NumericColumn(c.name, v));
        } else {
          columns.add(new CategoricalColumn(c.name, c.dictionary, codes(buf, h.rows)));
        }
      }
      CategoricalColumn label = new CategoricalColumn(h.label.name, h.label.dictionary, codes(buf, h.rows));
      return new Table(source, columns, label);
    } catch (IllegalArgumentException e) {
      String m = e.getMessage();
      throw new DataFormatException(m.startsWith(source + ": ") ? m : source + ": " + m);
    }
  }

  private static int[] codes(ByteBuffer buf, int rows) {
    int[] codes = new int[rows];
    buf.asIntBuffer().get(codes);
    buf.position(buf.position() + 4 * rows);
    return codes;
  }

  private record ColumnSpec(String name, List<String> dictionary) {}

  private record Header(int rows, List<ColumnSpec> columns, ColumnSpec label, long rowWidth) {}

  private static Header header(byte[] bytes, int length, String source) {
    JsonNode root;
    try {
      root = JSON.readTree(new String(bytes, PREFIX, length, StandardCharsets.UTF_8));
    } catch (JsonProcessingException e) {
      throw new DataFormatException(source + ": its header is not valid JSON: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      throw new DataFormatException(source + ": its header is not a JSON object");
    }
    onlyFields(root, source, "header", "rows", "columns", "label");
    JsonNode rows = root.get("rows");
    if (rows == null || !rows.canConvertToInt() || !rows.isIntegralNumber() || rows.intValue() < 0) {
      throw new DataFormatException(source + ": header field 'rows' must be an integer in [0, 2^31), was " + rows);
    }
    JsonNode cols = root.get("columns");
    if (cols == null || !cols.isArray() || cols.isEmpty()) {
      throw new DataFormatException(source + ": header field 'columns' must be a non-empty array");
    }
    List<ColumnSpec> columns = new ArrayList<>();
    long width = 4;
    for (int i = 0; i < cols.size(); i++) {
      JsonNode c = cols.get(i);
      String where = "header column " + i;
      if (!c.isObject()) {
        throw new DataFormatException(source + ": " + where + " is not an object");
      }
      onlyFields(c, source, where, "name", "type", "dictionary");
      String name = text(c.get("name"), source, where + " field 'name'");
      String type = text(c.get("type"), source, where + " ('" + name + "') field 'type'");
      if (type.equals("numeric")) {
        if (c.has("dictionary")) {
          throw new DataFormatException(source + ": numeric column '" + name + "' has a dictionary");
        }
        columns.add(new ColumnSpec(name, null));
        width += 8;
      } else if (type.equals("categorical")) {
        columns.add(new ColumnSpec(name, dictionary(c.get("dictionary"), source, "column '" + name + "'")));
        width += 4;
      } else {
        throw new DataFormatException(source + ": column '" + name + "' has unknown type '" + type
            + "', expected numeric or categorical");
      }
    }
    JsonNode l = root.get("label");
    if (l == null || !l.isObject()) {
      throw new DataFormatException(source + ": header field 'label' must be an object");
    }
    onlyFields(l, source, "label", "name", "dictionary");
    String labelName = text(l.get("name"), source, "label field 'name'");
    ColumnSpec label = new ColumnSpec(labelName, dictionary(l.get("dictionary"), source, "label '" + labelName + "'"));
    return new Header(rows.intValue(), columns, label, width);
  }

  private static void onlyFields(JsonNode node, String source, String where, String... allowed) {
    List<String> known = List.of(allowed);
    node.fieldNames().forEachRemaining(f -> {
      if (!known.contains(f)) {
        throw new DataFormatException(source + ": " + where + " has unknown field '" + f + "'");
      }
    });
  }

  private static String text(JsonNode node, String source, String where) {
    if (node == null || !node.isTextual() || node.textValue().isBlank()) {
      throw new DataFormatException(source + ": " + where + " must be a non-empty string, was " + node);
    }
    return node.textValue();
  }

  private static List<String> dictionary(JsonNode node, String source, String where) {
    if (node == null || !node.isArray()) {
      throw new DataFormatException(source + ": " + where + " needs a 'dictionary' array");
    }
    List<String> out = new ArrayList<>(node.size());
    for (JsonNode v : node) {
      if (!v.isTextual()) {
        throw new DataFormatException(source + ": " + where + " has a dictionary value that is not a string: " + v);
      }
      out.add(v.textValue());
    }
    return out;
  }

  private static byte[] sha256(byte[] bytes, int length) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(bytes, 0, length);
      return md.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }
}
