package org.fedbeam.pipelines.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.fedbeam.data.table.Table;
import org.fedbeam.data.table.TableCsv;
import org.fedbeam.data.table.TableFormat;
import org.fedbeam.data.table.TableProfile;
import org.fedbeam.transforms.Artifacts;

/**
 * {@code fedbeam prepare --input CSV --output FILE --label-column C [flags]}: run by a provider inside its
 * silo, turns its CSV export into the silo's prepared table file ({@link TableFormat}) and prints a
 * profile of what it read, then one {@code PREPARED {json}} line. Nothing is sent anywhere: the command
 * reads one file and writes one file. The output is written atomically, only once the whole input was
 * read; it may not be the input, and an existing output is replaced only with {@code --overwrite}.
 * ({@code fedbeam sample-data}, real CSV exports to try it on, is {@link SampleDataCommand}.)
 */
final class PrepareCommand {
  static final String USAGE = "usage: fedbeam prepare --input CSV --output FILE.fbt --label-column NAME [flags]"
      + "   a CSV export as the silo's data file, in the silo (nothing is sent anywhere)";
  private static final ObjectMapper JSON = new ObjectMapper();

  private PrepareCommand() {}

  /** Runs {@code prepare} or {@code sample-data} (one dispatch line in {@link FedBeam}). */
  static int run(String command, List<String> args, PrintStream out) throws java.io.IOException {
    if (command.equals("sample-data")) {
      return SampleDataCommand.run(args, out);
    }
    return prepare(FedBeam.parse("prepare", args, PrepareOptions.class), out);
  }

  /** {@code fedbeam prepare --help} or {@code fedbeam sample-data --help}. */
  static void help(String command, boolean all, PrintStream out) {
    if (command.equals("sample-data")) {
      SampleDataCommand.help(out);
    } else {
      Help.options(out, "prepare", USAGE, PrepareOptions.class, all);
    }
  }

  static int prepare(PrepareOptions o, PrintStream out) throws java.io.IOException {
    TableCsv.Options csv = csvOptions(o);
    String input = o.getInput();
    String output = o.getOutput();
    if (sameFile(input, output)) {
      throw new IllegalArgumentException("--output " + output + " is the input file: prepare writes a new file and"
          + " never overwrites the CSV export it reads");
    }
    if (Artifacts.exists(output) && !o.getOverwrite()) {
      throw new IllegalArgumentException("--output " + output + " already exists: pass --overwrite to replace it");
    }
    TableCsv.Result result = read(input, csv);
    byte[] bytes = TableFormat.encode(result.table());
    Artifacts.writeAtomically(output, bytes);
    out.print(result.profile().render());
    out.println("PREPARED " + JSON.writeValueAsString(summary(result, output, bytes)));
    return 0;
  }

  private static ObjectNode summary(TableCsv.Result result, String output, byte[] bytes) {
    Table t = result.table();
    TableProfile p = result.profile();
    ObjectNode s = JSON.createObjectNode();
    s.put("rows", t.rows());
    s.put("rows_read", p.rowsRead());
    s.put("columns", t.columns().size());
    s.put("categorical_columns", t.categoricalNames().size());
    s.put("classes", t.label().dictionary().size());
    ObjectNode dropped = s.putObject("dropped");
    dropped.put("missing_label", p.droppedMissingLabel());
    dropped.put("missing_values", p.droppedMissingValues());
    dropped.put("malformed", p.malformed());
    s.put("duplicate_ids", p.duplicateIds());
    s.put("warnings", p.warnings().size());
    s.put("output", output);
    s.put("bytes", bytes.length);
    s.put("sha256", Artifacts.sha256Hex(bytes));
    return s;
  }

  private static TableCsv.Result read(String input, TableCsv.Options csv) throws java.io.IOException {
    Path local = Artifacts.localPath(input);
    if (local != null) {
      return TableCsv.read(local, csv);
    }
    byte[] bytes = Artifacts.read(input, "CSV export");
    var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    try (Reader in = new InputStreamReader(new java.io.ByteArrayInputStream(bytes), decoder)) {
      return TableCsv.parse(in, input, csv);
    }
  }

  static TableCsv.Options csvOptions(PrepareOptions o) {
    TableCsv.Missing missing = switch (o.getMissing().toLowerCase(Locale.ROOT)) {
      case "drop" -> TableCsv.Missing.DROP;
      case "impute" -> TableCsv.Missing.IMPUTE;
      default -> throw new IllegalArgumentException("--missing must be drop or impute, was '" + o.getMissing() + "'");
    };
    Set<String> markers = o.getMissingValues() == null ? TableCsv.Options.DEFAULT_MISSING : names(o.getMissingValues());
    try {
      return new TableCsv.Options(delimiter(o.getDelimiter()), o.getLabelColumn(), o.getIdColumn(),
          names(o.getDropColumns()), names(o.getCategoricalColumns()), missing, markers, o.getMaxBadRowShare());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("prepare: " + e.getMessage(), e);
    }
  }

  static char delimiter(String d) {
    if (d.equals("tab") || d.equals("\\t") || d.equals("\t")) {
      return '\t';
    }
    if (d.length() != 1) {
      throw new IllegalArgumentException("--delimiter must be one character (or 'tab'), was '" + d + "'");
    }
    return d.charAt(0);
  }

  private static Set<String> names(String list) {
    Set<String> out = new LinkedHashSet<>();
    Arrays.stream(list.split(",")).map(String::trim).filter(s -> !s.isEmpty()).forEach(out::add);
    return out;
  }

  private static boolean sameFile(String input, String output) throws java.io.IOException {
    Path in = Artifacts.localPath(input);
    Path out = Artifacts.localPath(output);
    if (in == null || out == null) {
      return input.equals(output);
    }
    if (Files.exists(in) && Files.exists(out)) {
      return Files.isSameFile(in, out);
    }
    return in.toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize());
  }
}
