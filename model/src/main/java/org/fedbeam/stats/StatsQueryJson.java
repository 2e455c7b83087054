package org.fedbeam.stats;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The JSON of a {@link StatsQuery}: {@code pass}, {@code columns}, {@code bins}, {@code histograms},
 * {@code ranks}, {@code k}, {@code release_min_max}, {@code significant_digits}, {@code noise} and
 * {@code clipping}. Only {@code k} is required; the others default as in {@link
 * StatsQuery#summary(int)}. A field not known, of the wrong type or out of range is an error naming it.
 */
public final class StatsQueryJson {
  /** The largest query accepted. */
  public static final int MAX_BYTES = 4 << 20;
  private static final Set<String> FIELDS = Set.of("pass", "columns", "bins", "histograms", "ranks", "k",
      "release_min_max", "significant_digits", "noise", "clipping");

  private StatsQueryJson() {}

  /** The query as UTF-8 JSON, every field written. */
  public static byte[] encode(StatsQuery q) {
    ObjectNode o = JsonFields.MAPPER.createObjectNode();
    o.put("pass", q.pass().name());
    ArrayNode cols = o.putArray("columns");
    q.columns().forEach(cols::add);
    o.put("bins", q.bins());
    ObjectNode h = o.putObject("histograms");
    q.histograms().forEach((c, b) -> h.set(c, SiloStatsJson.bins(b)));
    ArrayNode ranks = o.putArray("ranks");
    q.ranks().forEach(ranks::add);
    o.put("k", q.k());
    o.put("release_min_max", q.releaseMinMax());
    o.put("significant_digits", q.significantDigits());
    o.set("noise", SiloStatsJson.noise(q.noise().mechanism(), q.noise().epsilon(), q.noise().delta()));
    ObjectNode clip = o.putObject("clipping");
    q.clipping().forEach((c, b) -> clip.putObject(c).put("lo", b.lo()).put("hi", b.hi()));
    return SiloStatsJson.bytes(o);
  }

  /**
   * The query in {@code json} from {@code from} (named in errors).
   *
   * @throws IllegalArgumentException naming the field at fault
   */
  public static StatsQuery decode(byte[] json, String from) {
    JsonFields f = new JsonFields(JsonFields.parse(json, MAX_BYTES, from), from, FIELDS);
    StatsQuery d = StatsQuery.summary((int) f.integer("k", 1, StatsQuery.MAX_K));
    try {
      StatsQuery.Pass pass = f.has("pass") ? SiloStatsJson.pass(f, from) : d.pass();
      List<String> columns = new ArrayList<>();
      if (f.has("columns")) {
        JsonNode a = f.array("columns", StatsQuery.MAX_COLUMNS);
        for (int i = 0; i < a.size(); i++) {
          if (!a.get(i).isTextual()) {
            throw new IllegalArgumentException(f.at("columns[" + i + "]") + " must be a string");
          }
          columns.add(a.get(i).asText());
        }
      }
      int bins = f.has("bins") ? (int) f.integer("bins", 1, StatsQuery.MAX_BINS) : d.bins();
      Map<String, StatsQuery.Bins> histograms = new TreeMap<>();
      if (f.has("histograms")) {
        for (Map.Entry<String, JsonNode> e : f.map("histograms", StatsQuery.MAX_COLUMNS).entrySet()) {
          histograms.put(e.getKey(), SiloStatsJson.bins(new JsonFields(e.getValue(),
              f.at("histograms." + JsonFields.clip(e.getKey())), Set.of("lo", "hi", "bins"))));
        }
      }
      List<Double> ranks = d.ranks();
      if (f.has("ranks")) {
        ranks = new ArrayList<>();
        JsonNode a = f.array("ranks", StatsQuery.MAX_RANKS);
        for (int i = 0; i < a.size(); i++) {
          if (!a.get(i).isNumber()) {
            throw new IllegalArgumentException(f.at("ranks[" + i + "]") + " must be a number");
          }
          ranks.add(a.get(i).asDouble());
        }
      }
      boolean minMax = f.has("release_min_max") ? f.bool("release_min_max") : d.releaseMinMax();
      int digits = f.has("significant_digits") ? (int) f.integer("significant_digits", 1, 15) : d.significantDigits();
      StatsQuery.Noise noise = d.noise();
      if (f.has("noise")) {
        JsonFields n = f.object("noise", Set.of("mechanism", "epsilon", "delta"));
        noise = new StatsQuery.Noise(n.string("mechanism", 16), n.has("epsilon") ? n.number("epsilon") : 0,
            n.has("delta") ? n.number("delta") : 0);
      }
      Map<String, StatsQuery.Clip> clipping = new TreeMap<>();
      if (f.has("clipping")) {
        for (Map.Entry<String, JsonNode> e : f.map("clipping", StatsQuery.MAX_COLUMNS).entrySet()) {
          JsonFields c = new JsonFields(e.getValue(), f.at("clipping." + JsonFields.clip(e.getKey())),
              Set.of("lo", "hi"));
          clipping.put(e.getKey(), new StatsQuery.Clip(c.number("lo"), c.number("hi")));
        }
      }
      return new StatsQuery(pass, columns, bins, histograms, ranks, d.k(), minMax, digits, noise, clipping);
    } catch (IllegalArgumentException e) {
      throw e.getMessage().startsWith(from) ? e : new IllegalArgumentException(from + ": " + e.getMessage(), e);
    }
  }
}
