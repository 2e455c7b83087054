package org.fedbeam.stats;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The JSON of a {@link SiloStats}. A silo's file is hostile: {@link #decode} bounds its size, refuses
 * any field not known, a wrong type or a value out of range, checks every cell against the disclosure
 * rules and the sketch against the column's count, and names the silo and the field in every error.
 * {@link #encode} is deterministic (fields in a fixed order).
 */
public final class SiloStatsJson {
  /** The largest document accepted. */
  public static final int MAX_BYTES = 64 << 20;
  private static final Set<String> TOP = Set.of("silo", "pass", "k", "rows", "label", "labels", "noise", "columns");
  private static final Set<String> COLUMN = Set.of("name", "type", "count", "missing", "moments", "min", "max",
      "bins", "histogram", "sketch", "categories");

  private SiloStatsJson() {}

  /** The release as UTF-8 JSON. */
  public static byte[] encode(SiloStats s) {
    ObjectNode o = JsonFields.MAPPER.createObjectNode();
    o.put("silo", s.silo());
    o.put("pass", s.pass().name());
    o.put("k", s.k());
    o.put("rows", s.rows());
    o.put("label", s.labelName());
    o.set("labels", s.labels() == null ? null : categories(s.labels()));
    o.set("noise", noise(s.mechanism(), s.epsilon(), s.delta()));
    ArrayNode cols = o.putArray("columns");
    for (SiloStats.ColumnStats c : s.columns()) {
      ObjectNode n = cols.addObject();
      n.put("name", c.name());
      n.put("type", c.type());
      n.put("count", c.count());
      n.put("missing", c.missing());
      n.set("moments", c.moments() == null ? null : moments(c.moments()));
      n.put("min", c.min());
      n.put("max", c.max());
      n.set("bins", c.bins() == null ? null : bins(c.bins()));
      if (c.histogram() == null) {
        n.putNull("histogram");
      } else {
        ArrayNode h = n.putArray("histogram");
        c.histogram().forEach(h::add);
      }
      n.put("sketch", c.sketch());
      n.set("categories", c.categories() == null ? null : categories(c.categories()));
    }
    return bytes(o);
  }

  static byte[] bytes(ObjectNode o) {
    try {
      return JsonFields.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static ObjectNode noise(String mechanism, double epsilon, double delta) {
    ObjectNode n = JsonFields.MAPPER.createObjectNode();
    n.put("mechanism", mechanism);
    n.put("epsilon", epsilon);
    n.put("delta", delta);
    return n;
  }

  static ObjectNode moments(Moments m) {
    ObjectNode n = JsonFields.MAPPER.createObjectNode();
    n.put("n", m.n());
    n.put("mean", m.mean());
    n.put("m2", m.m2());
    return n;
  }

  static ObjectNode bins(StatsQuery.Bins b) {
    ObjectNode n = JsonFields.MAPPER.createObjectNode();
    n.put("lo", b.lo());
    n.put("hi", b.hi());
    n.put("bins", b.bins());
    return n;
  }

  private static ObjectNode categories(SiloStats.Categories c) {
    ObjectNode n = JsonFields.MAPPER.createObjectNode();
    ObjectNode v = n.putObject("values");
    c.values().forEach(v::put);
    n.put("other", c.other());
    return n;
  }

  /**
   * The release in {@code json}, read from {@code from} (the silo's file, named in errors).
   *
   * @throws IllegalArgumentException naming the source, the silo and the field at fault
   */
  public static SiloStats decode(byte[] json, String from) {
    JsonFields top = new JsonFields(JsonFields.parse(json, MAX_BYTES, from), from, TOP);
    String silo = top.string("silo", StatsQuery.MAX_NAME);
    String where = from + " (silo " + JsonFields.clip(silo) + ")";
    try {
      StatsQuery.Pass pass = pass(top, where);
      int k = (int) top.integer("k", 1, StatsQuery.MAX_K);
      Long rows = top.count("rows");
      String label = top.string("label", StatsQuery.MAX_NAME);
      SiloStats.Categories labels = top.isNull("labels") ? null : categories(top.object("labels", Set.of("values",
          "other")), 0L);
      JsonFields noise = top.object("noise", Set.of("mechanism", "epsilon", "delta"));
      JsonNode cols = top.array("columns", StatsQuery.MAX_COLUMNS);
      List<SiloStats.ColumnStats> columns = new ArrayList<>();
      for (int i = 0; i < cols.size(); i++) {
        columns.add(column(new JsonFields(cols.get(i), "columns[" + i + "]", COLUMN)));
      }
      return new SiloStats(silo, pass, k, rows, columns, label, labels, noise.string("mechanism", 16),
          noise.number("epsilon"), noise.number("delta"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
  }

  static StatsQuery.Pass pass(JsonFields top, String where) {
    String p = top.string("pass", 16);
    try {
      return StatsQuery.Pass.valueOf(p);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("pass must be SUMMARY or HISTOGRAM, was '" + JsonFields.clip(p) + "'");
    }
  }

  private static SiloStats.ColumnStats column(JsonFields c) {
    String name = c.string("name", StatsQuery.MAX_NAME);
    Long count = c.count("count");
    Long missing = c.count("missing");
    Moments moments = c.isNull("moments") ? null : moments(c.object("moments", Set.of("n", "mean", "m2")));
    StatsQuery.Bins bins = c.isNull("bins") ? null : bins(c.object("bins", Set.of("lo", "hi", "bins")));
    List<Long> histogram = null;
    if (!c.isNull("histogram")) {
      JsonNode h = c.array("histogram", StatsQuery.MAX_BINS + 2);
      histogram = new ArrayList<>();
      for (int i = 0; i < h.size(); i++) {
        histogram.add(h.get(i).isNull() ? null : JsonFields.integer(h.get(i), c.at("histogram[" + i + "]"), 0, 1L << 53));
      }
    }
    String sketch = c.isNull("sketch") ? null : c.string("sketch", Sketches.MAX_CHARS);
    if (sketch != null) {
      Sketches.decode(sketch, count == null ? -2 : count, c.at("sketch"));
    }
    SiloStats.Categories cats = c.isNull("categories") ? null
        : categories(c.object("categories", Set.of("values", "other")), missing);
    try {
      return new SiloStats.ColumnStats(name, c.string("type", 16), count, missing, moments, c.optionalNumber("min"),
          c.optionalNumber("max"), bins, histogram, sketch, cats);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(c.where() + ": " + e.getMessage(), e);
    }
  }

  static Moments moments(JsonFields m) {
    try {
      return new Moments(m.integer("n", 0, 1L << 53), m.number("mean"), m.number("m2"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(m.where() + ": " + e.getMessage(), e);
    }
  }

  static StatsQuery.Bins bins(JsonFields b) {
    try {
      return new StatsQuery.Bins(b.number("lo"), b.number("hi"), (int) b.integer("bins", 1, StatsQuery.MAX_BINS));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(b.where() + ": " + e.getMessage(), e);
    }
  }

  private static SiloStats.Categories categories(JsonFields c, Long missing) {
    Map<String, Long> values = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : c.map("values", SiloStats.MAX_CATEGORIES).entrySet()) {
      values.put(e.getKey(), JsonFields.integer(e.getValue(), c.at("values.<a value>"), 0, 1L << 53));
    }
    return new SiloStats.Categories(values, c.count("other"), missing);
  }
}
