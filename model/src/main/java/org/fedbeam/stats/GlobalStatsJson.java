package org.fedbeam.stats;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The JSON of a {@link GlobalStats}: like a silo's release, but every count is a total, written as a
 * number when exact and as {@code {"at_least": n}} when some silo suppressed its share. Deterministic
 * (fields in a fixed order); {@link #decode} is as strict as {@link SiloStatsJson#decode}.
 */
public final class GlobalStatsJson {
  private static final Set<String> TOP = Set.of("silos", "pass", "k", "rows", "label", "labels", "labels_other",
      "noise", "columns");
  private static final Set<String> COLUMN = Set.of("name", "type", "count", "missing", "moments", "partial", "min",
      "max", "bins", "histogram", "sketch", "categories", "other");

  private GlobalStatsJson() {}

  /** The merged statistics as a JSON tree (for embedding in a larger document). */
  public static ObjectNode tree(GlobalStats g) {
    ObjectNode o = JsonFields.MAPPER.createObjectNode();
    ArrayNode silos = o.putArray("silos");
    g.silos().forEach(silos::add);
    o.put("pass", g.pass().name());
    o.put("k", g.k());
    o.set("rows", total(g.rowsTotal()));
    o.put("label", g.labelName());
    o.set("labels", totals(g.labelCounts()));
    o.set("labels_other", total(g.labelOther()));
    o.set("noise", SiloStatsJson.noise(g.mechanism(), g.epsilon(), g.delta()));
    ArrayNode cols = o.putArray("columns");
    for (GlobalColumn c : g.globalColumns()) {
      ObjectNode n = cols.addObject();
      n.put("name", c.name());
      n.put("type", c.type());
      n.set("count", total(c.countTotal()));
      n.set("missing", total(c.missingTotal()));
      n.set("moments", c.moments() == null ? null : SiloStatsJson.moments(c.moments()));
      n.put("partial", c.partial());
      n.put("min", c.minValue());
      n.put("max", c.maxValue());
      n.set("bins", c.bins() == null ? null : SiloStatsJson.bins(c.bins()));
      if (c.histogram() == null) {
        n.putNull("histogram");
      } else {
        ArrayNode h = n.putArray("histogram");
        c.histogram().forEach(t -> h.add(total(t)));
      }
      n.put("sketch", c.sketch());
      n.set("categories", totals(c.categoryTotals()));
      n.set("other", total(c.other()));
    }
    return o;
  }

  /** The merged statistics as UTF-8 JSON. */
  public static byte[] encode(GlobalStats g) {
    return SiloStatsJson.bytes(tree(g));
  }

  private static JsonNode total(Total t) {
    if (t == null) {
      return JsonFields.MAPPER.nullNode();
    }
    return t.lowerBound() ? JsonFields.MAPPER.createObjectNode().put("at_least", t.value())
        : JsonFields.MAPPER.getNodeFactory().numberNode(t.value());
  }

  private static JsonNode totals(Map<String, Total> m) {
    if (m == null) {
      return JsonFields.MAPPER.nullNode();
    }
    ObjectNode n = JsonFields.MAPPER.createObjectNode();
    m.forEach((v, t) -> n.set(v, total(t)));
    return n;
  }

  /**
   * The merged statistics in {@code json} from {@code from}.
   *
   * @throws IllegalArgumentException naming the source and the field at fault
   */
  public static GlobalStats decode(byte[] json, String from) {
    JsonFields f = new JsonFields(JsonFields.parse(json, SiloStatsJson.MAX_BYTES, from), from, TOP);
    try {
      List<String> silos = new ArrayList<>();
      JsonNode s = f.array("silos", 100_000);
      for (int i = 0; i < s.size(); i++) {
        if (!s.get(i).isTextual()) {
          throw new IllegalArgumentException(f.at("silos[" + i + "]") + " must be a string");
        }
        silos.add(s.get(i).asText());
      }
      JsonFields noise = f.object("noise", Set.of("mechanism", "epsilon", "delta"));
      JsonNode cols = f.array("columns", StatsQuery.MAX_COLUMNS);
      List<GlobalColumn> columns = new ArrayList<>();
      for (int i = 0; i < cols.size(); i++) {
        columns.add(column(new JsonFields(cols.get(i), from + ".columns[" + i + "]", COLUMN)));
      }
      return new GlobalStats(silos, SiloStatsJson.pass(f, from), (int) f.integer("k", 1, StatsQuery.MAX_K),
          total(f.required("rows"), f.at("rows")), f.string("label", StatsQuery.MAX_NAME),
          totals(f.required("labels"), f.at("labels")), total(f.required("labels_other"), f.at("labels_other")),
          columns, noise.string("mechanism", 16), noise.number("epsilon"), noise.number("delta"));
    } catch (IllegalArgumentException e) {
      throw e.getMessage().startsWith(from) ? e : new IllegalArgumentException(from + ": " + e.getMessage(), e);
    }
  }

  private static GlobalColumn column(JsonFields c) {
    List<Total> hist = null;
    if (!c.isNull("histogram")) {
      JsonNode h = c.array("histogram", StatsQuery.MAX_BINS + 2);
      hist = new ArrayList<>();
      for (int i = 0; i < h.size(); i++) {
        hist.add(total(h.get(i), c.at("histogram[" + i + "]")));
      }
    }
    String sketch = c.isNull("sketch") ? null : c.string("sketch", Sketches.MAX_CHARS);
    if (sketch != null) {
      Sketches.decode(sketch, -1, c.at("sketch"));
    }
    String type = c.string("type", 16);
    if (!"numeric".equals(type) && !"categorical".equals(type)) {
      throw new IllegalArgumentException(c.at("type") + " must be numeric or categorical");
    }
    return new GlobalColumn(StatsQuery.requireName("name", c.string("name", StatsQuery.MAX_NAME)), type,
        total(c.required("count"), c.at("count")), total(c.required("missing"), c.at("missing")),
        c.isNull("moments") ? null : SiloStatsJson.moments(c.object("moments", Set.of("n", "mean", "m2"))),
        c.bool("partial"), c.optionalNumber("min"), c.optionalNumber("max"),
        c.isNull("bins") ? null : SiloStatsJson.bins(c.object("bins", Set.of("lo", "hi", "bins"))), hist, sketch,
        totals(c.required("categories"), c.at("categories")), total(c.required("other"), c.at("other")));
  }

  private static Total total(JsonNode n, String at) {
    if (n.isNull()) {
      return null;
    }
    if (n.isObject()) {
      JsonFields f = new JsonFields(n, at, Set.of("at_least"));
      return new Total(f.integer("at_least", 0, 1L << 53), true);
    }
    return new Total(JsonFields.integer(n, at, 0, 1L << 53), false);
  }

  private static Map<String, Total> totals(JsonNode n, String at) {
    if (n.isNull()) {
      return null;
    }
    if (!n.isObject() || n.size() > SiloStats.MAX_CATEGORIES) {
      throw new IllegalArgumentException(at + " must be an object of at most " + SiloStats.MAX_CATEGORIES + " entries");
    }
    Map<String, Total> out = new LinkedHashMap<>();
    n.fields().forEachRemaining(e -> out.put(e.getKey(), total(e.getValue(), at + ".<a value>")));
    return out;
  }
}
