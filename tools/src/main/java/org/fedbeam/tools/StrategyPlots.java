package org.fedbeam.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The strategies benchmark's plots, written by hand as SVG 1.1 (no library): test accuracy per
 * round of each strategy, one panel per alpha, with the centralized baseline as a dashed line; and
 * the Byzantine sweep as bars per attack with clean FedAvg as a dashed line.
 */
final class StrategyPlots {
  static final String[] COLORS = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"};
  private static final int PANEL_W = 420;
  private static final int PANEL_H = 300;
  private static final int MARGIN = 55;

  private StrategyPlots() {}

  /** One panel per alpha of the accuracy sweep's runs on {@code seed}: a polyline per strategy. */
  static String accuracy(ObjectNode runs, long seed) {
    Map<Double, Map<String, JsonNode>> panels = new TreeMap<>();
    Map<Double, Double> centralized = new TreeMap<>();
    runs.fields().forEachRemaining(e -> {
      JsonNode run = e.getValue();
      if (run.path("seed").asLong() != seed) {
        return;
      }
      double alpha = run.path("alpha").asDouble();
      if (run.path("sweep").asText().equals("accuracy")) {
        panels.computeIfAbsent(alpha, a -> new LinkedHashMap<>()).put(run.get("strategy").asText(), run);
      } else if (run.path("sweep").asText().equals("centralized")) {
        centralized.put(alpha, run.get("test_accuracy").asDouble());
      }
    });
    int width = Math.max(1, panels.size()) * (PANEL_W + MARGIN) + MARGIN + 90;
    StringBuilder svg = header(width, PANEL_H + 2 * MARGIN,
        "Test accuracy per round, Fashion-MNIST, 10 silos, seed " + seed + " (dashed: centralized)");
    int panel = 0;
    for (var p : panels.entrySet()) {
      double lo = 1;
      double hi = 0;
      int rounds = 1;
      for (JsonNode run : p.getValue().values()) {
        for (JsonNode v : run.get("test_accuracy")) {
          lo = Math.min(lo, v.asDouble());
          hi = Math.max(hi, v.asDouble());
        }
        rounds = Math.max(rounds, run.get("test_accuracy").size());
      }
      Double central = centralized.get(p.getKey());
      if (central != null) {
        lo = Math.min(lo, central);
        hi = Math.max(hi, central);
      }
      lo = Math.max(0, Math.floor((lo - 0.01) * 50) / 50);
      hi = Math.min(1, Math.ceil((hi + 0.005) * 50) / 50);
      int x0 = MARGIN + panel * (PANEL_W + MARGIN);
      Axes axes = new Axes(x0, MARGIN, PANEL_W, PANEL_H, 1, rounds, lo, hi);
      axes.draw(svg, "alpha " + p.getKey(), "round", "test accuracy");
      int color = 0;
      for (var s : p.getValue().entrySet()) {
        StringBuilder points = new StringBuilder();
        JsonNode curve = s.getValue().get("test_accuracy");
        for (int i = 0; i < curve.size(); i++) {
          points.append(fmt(axes.x(i + 1))).append(',').append(fmt(axes.y(curve.get(i).asDouble()))).append(' ');
        }
        String c = COLORS[color % COLORS.length];
        svg.append(String.format(Locale.ROOT,
            "<polyline class=\"strategy\" data-strategy=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"%s\"/>%n",
            s.getKey(), c, points.toString().trim()));
        legend(svg, x0 + PANEL_W + 8, MARGIN + 14 + 16 * color, c, s.getKey());
        color++;
      }
      if (central != null) {
        svg.append(String.format(Locale.ROOT,
            "<line class=\"centralized\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"black\" stroke-dasharray=\"5,4\"/>%n",
            fmt(axes.x(1)), fmt(axes.y(central)), fmt(axes.x(rounds)), fmt(axes.y(central))));
        legend(svg, x0 + PANEL_W + 8, MARGIN + 14 + 16 * color, "black", "centralized");
      }
      panel++;
    }
    return svg.append("</svg>\n").toString();
  }

  /** Bars: per attack, each strategy's final test accuracy; the dashed line is clean FedAvg. */
  static String byzantine(ObjectNode summary) {
    JsonNode attacks = summary.path("attacks");
    List<String> strategies = new ArrayList<>();
    attacks.fields().forEachRemaining(a -> a.getValue().fieldNames().forEachRemaining(s -> {
      if (!strategies.contains(s)) {
        strategies.add(s);
      }
    }));
    int groups = Math.max(1, attacks.size());
    int width = MARGIN * 2 + groups * (strategies.size() * 22 + 40) + 120;
    StringBuilder svg = header(Math.max(width, 360), PANEL_H + 2 * MARGIN,
        "1 of 10 silos Byzantine: final test accuracy, axis from its lowest tick (dashed: clean FedAvg)");
    double min = 1;
    double max = 0;
    for (JsonNode a : attacks) {
      for (JsonNode s : a) {
        min = Math.min(min, s.get("final_test_accuracy").asDouble());
        max = Math.max(max, s.get("final_test_accuracy").asDouble());
      }
    }
    if (summary.has("clean_fedavg")) {
      min = Math.min(min, summary.get("clean_fedavg").get("final_test_accuracy").asDouble());
      max = Math.max(max, summary.get("clean_fedavg").get("final_test_accuracy").asDouble());
    }
    // the axis starts near the lowest bar: the gaps of interest are a few hundredths
    double lo = Math.max(0, Math.floor((Math.min(min, max) - 0.02) * 20) / 20);
    double hi = Math.min(1, Math.ceil((Math.max(min, max) + 0.01) * 20) / 20);
    Axes axes = new Axes(MARGIN, MARGIN, width - 2 * MARGIN - 120, PANEL_H, 0, 1, lo, hi);
    axes.draw(svg, "", "attack", "test accuracy");
    int g = 0;
    for (var it = attacks.fields(); it.hasNext(); g++) {
      var a = it.next();
      double gx = MARGIN + 20 + g * (strategies.size() * 22 + 40);
      for (int i = 0; i < strategies.size(); i++) {
        JsonNode s = a.getValue().get(strategies.get(i));
        if (s == null) {
          continue;
        }
        double acc = s.get("final_test_accuracy").asDouble();
        svg.append(String.format(Locale.ROOT,
            "<rect class=\"bar\" data-attack=\"%s\" data-strategy=\"%s\" x=\"%s\" y=\"%s\" width=\"18\" height=\"%s\" fill=\"%s\"><title>%s %s %.4f</title></rect>%n",
            a.getKey(), strategies.get(i), fmt(gx + 22 * i), fmt(axes.y(acc)), fmt(axes.y(lo) - axes.y(acc)),
            COLORS[i % COLORS.length], a.getKey(), strategies.get(i), acc));
      }
      svg.append(String.format(Locale.ROOT, "<text x=\"%s\" y=\"%d\" font-size=\"12\">%s</text>%n", fmt(gx),
          MARGIN + PANEL_H + 18, a.getKey()));
    }
    for (int i = 0; i < strategies.size(); i++) {
      legend(svg, width - MARGIN - 110, MARGIN + 14 + 16 * i, COLORS[i % COLORS.length], strategies.get(i));
    }
    if (summary.has("clean_fedavg")) {
      double clean = summary.get("clean_fedavg").get("final_test_accuracy").asDouble();
      svg.append(String.format(Locale.ROOT,
          "<line class=\"clean\" x1=\"%d\" y1=\"%s\" x2=\"%d\" y2=\"%s\" stroke=\"black\" stroke-dasharray=\"5,4\"/>%n",
          MARGIN, fmt(axes.y(clean)), width - MARGIN - 120, fmt(axes.y(clean))));
      legend(svg, width - MARGIN - 110, MARGIN + 14 + 16 * strategies.size(), "black", "clean fedavg");
    }
    return svg.append("</svg>\n").toString();
  }

  /** A plot area mapping (x, y) data to pixels, with its frame, ticks and labels. */
  private record Axes(int left, int top, int width, int height, double xMin, double xMax, double yMin, double yMax) {
    double x(double v) {
      return left + (xMax == xMin ? 0 : (v - xMin) / (xMax - xMin) * width);
    }

    double y(double v) {
      return top + height - (v - yMin) / (yMax - yMin) * height;
    }

    void draw(StringBuilder svg, String title, String xLabel, String yLabel) {
      svg.append(String.format(Locale.ROOT,
          "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>%n", left, top, width, height));
      for (int i = 0; i <= 5; i++) {
        double v = yMin + (yMax - yMin) * i / 5;
        svg.append(String.format(Locale.ROOT,
            "<text x=\"%d\" y=\"%s\" font-size=\"10\" text-anchor=\"end\">%.3f</text>%n", left - 4, fmt(y(v) + 3), v));
      }
      if (xLabel.equals("round")) {
        for (int i = 0; i <= 5; i++) {
          double v = xMin + (xMax - xMin) * i / 5;
          svg.append(String.format(Locale.ROOT, "<text x=\"%s\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%d</text>%n",
              fmt(x(v)), top + height + 14, Math.round(v)));
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"%s\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s</text>%n",
            fmt(left + width / 2.0), top + height + 30, xLabel));
      }
      svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\" font-weight=\"bold\">%s</text>%n",
          left, top - 6, escape(title)));
      svg.append(String.format(Locale.ROOT,
          "<text x=\"%d\" y=\"%s\" font-size=\"11\" text-anchor=\"middle\" transform=\"rotate(-90 %d %s)\">%s</text>%n",
          left - 42, fmt(top + height / 2.0), left - 42, fmt(top + height / 2.0), yLabel));
    }
  }

  private static StringBuilder header(int width, int height, String title) {
    StringBuilder svg = new StringBuilder();
    svg.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    svg.append(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
            + " font-family=\"sans-serif\">%n", width, height, width, height));
    svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"20\" font-size=\"14\">%s</text>%n", MARGIN, escape(title)));
    return svg;
  }

  private static void legend(StringBuilder svg, int x, int y, String color, String label) {
    svg.append(String.format(Locale.ROOT,
        "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"/>"
            + "<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>%n", x, y - 4, x + 16, y - 4, color, x + 20, y, escape(label)));
  }

  static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }
}
