package org.fedbeam.data.table;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads Weka's ARFF text format (dense data only): {@code @attribute NAME numeric|real|integer|string|{v1, 'v 2', ...}}
 * lines, then {@code @data} rows of comma-separated values, quoted with {@code '} or {@code "} where they hold
 * spaces or commas, {@code ?} for a missing value, {@code %} comments. Every error names the source and line.
 */
public final class ArffReader {
  /** One attribute: its name and, for a nominal one, its declared values (null for numeric or string). */
  public record Attribute(String name, List<String> nominal) {
    public boolean numeric() {
      return nominal == null;
    }
  }

  /** The attributes and the rows (one value per attribute, null where missing). */
  public record Arff(String relation, List<Attribute> attributes, List<List<String>> rows) {}

  private ArffReader() {}

  /** Parses ARFF text; {@code source} names it in errors. */
  public static Arff parse(List<String> lines, String source) {
    String relation = null;
    List<Attribute> attributes = new ArrayList<>();
    List<List<String>> rows = new ArrayList<>();
    boolean data = false;
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      String at = source + ": line " + (i + 1);
      if (line.isEmpty() || line.startsWith("%")) {
        continue;
      }
      if (data) {
        List<String> cells = split(line, at);
        if (cells.size() != attributes.size()) {
          throw new org.fedbeam.data.DataFormatException(at + ": expected " + attributes.size() + " values, found " + cells.size());
        }
        rows.add(cells);
        continue;
      }
      String lower = line.toLowerCase(Locale.ROOT);
      if (lower.startsWith("@relation")) {
        relation = unquote(line.substring(9).strip());
      } else if (lower.startsWith("@attribute")) {
        attributes.add(attribute(line.substring(10).strip(), at));
      } else if (lower.startsWith("@data")) {
        if (attributes.isEmpty()) {
          throw new org.fedbeam.data.DataFormatException(at + ": @data before any @attribute");
        }
        data = true;
      } else {
        throw new org.fedbeam.data.DataFormatException(at + ": expected @relation, @attribute or @data, found '" + line + "'");
      }
    }
    if (!data) {
      throw new org.fedbeam.data.DataFormatException(source + ": no @data section");
    }
    return new Arff(relation, List.copyOf(attributes), rows);
  }

  private static Attribute attribute(String rest, String at) {
    String name;
    String type;
    if (rest.startsWith("'") || rest.startsWith("\"")) {
      int end = rest.indexOf(rest.charAt(0), 1);
      if (end < 0) {
        throw new org.fedbeam.data.DataFormatException(at + ": the attribute's quoted name is never closed");
      }
      name = rest.substring(1, end);
      type = rest.substring(end + 1).strip();
    } else {
      String[] parts = rest.split("\\s+", 2);
      name = parts[0];
      type = parts.length > 1 ? parts[1].strip() : "";
    }
    if (type.startsWith("{")) {
      if (!type.endsWith("}")) {
        throw new org.fedbeam.data.DataFormatException(at + ": attribute '" + name + "': its values' '{' is never closed");
      }
      return new Attribute(name, split(type.substring(1, type.length() - 1), at));
    }
    String t = type.toLowerCase(Locale.ROOT);
    if (t.equals("numeric") || t.equals("real") || t.equals("integer") || t.equals("string")) {
      return new Attribute(name, null);
    }
    throw new org.fedbeam.data.DataFormatException(at + ": attribute '" + name + "' has unsupported type '" + type + "'");
  }

  /** Comma-separated values, each trimmed and unquoted; {@code ?} becomes null. */
  static List<String> split(String line, String at) {
    List<String> out = new ArrayList<>();
    StringBuilder cell = new StringBuilder();
    char quote = 0;
    boolean wasQuoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quote != 0) {
        if (c == '\\' && i + 1 < line.length()) {
          cell.append(line.charAt(++i));
        } else if (c == quote) {
          quote = 0;
        } else {
          cell.append(c);
        }
      } else if ((c == '\'' || c == '"') && cell.toString().isBlank()) {
        cell.setLength(0);
        quote = c;
        wasQuoted = true;
      } else if (c == ',') {
        out.add(value(cell, wasQuoted));
        cell.setLength(0);
        wasQuoted = false;
      } else {
        cell.append(c);
      }
    }
    if (quote != 0) {
      throw new org.fedbeam.data.DataFormatException(at + ": a quoted value is never closed");
    }
    out.add(value(cell, wasQuoted));
    return out;
  }

  private static String value(StringBuilder cell, boolean quoted) {
    String v = quoted ? cell.toString() : cell.toString().strip();
    return !quoted && v.equals("?") ? null : v;
  }

  private static String unquote(String s) {
    return s.length() >= 2 && (s.startsWith("'") || s.startsWith("\"")) && s.endsWith(s.substring(0, 1))
        ? s.substring(1, s.length() - 1) : s;
  }
}
