package org.fedbeam.pipelines.loop;

import java.io.PrintStream;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.model.ModelSpec;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.bundle.BundleFormat;
import org.fedbeam.model.onnx.OnnxImport;
import org.fedbeam.transforms.Artifacts;

/**
 * The pretrained model a run starts from ({@code --initial-model FILE}, the job field
 * {@code initial_model}): a FedBeam model ({@code .fbm}), a model bundle ({@code .fbmb}: its model)
 * or an ONNX file of a dense network ({@link OnnxImport} says which graphs import). The format is
 * told by the file's magic number (a FedBeam model starts with FBMD, a bundle with FBMB; anything
 * else is read as ONNX), not by its name. The model's shape must equal the run's: inputs the data's
 * features, outputs its classes, the hidden widths those the run asked for. The origin recorded in
 * the provenance names the file, its format and its SHA-256.
 */
public final class InitialModel {
  /** The largest initial-model file read (a FedBeam model holds at most 2^31 floats; ONNX adds little). */
  public static final long MAX_BYTES = 1L << 30;

  /** A loaded model and where it came from. */
  /**
   * A loaded starting model: {@code origin} names the file, its format and SHA-256; {@code chain} is
   * a bundle's own provenance chain (a JSON array, oldest stage first), or null for other formats.
   */
  public record Loaded(Parameters model, String origin, String note, String chain) {
    public Loaded(Parameters model, String origin, String note) {
      this(model, origin, note, null);
    }
  }

  private InitialModel() {}

  /**
   * Loads {@code uri} and checks it against the run's {@code spec}.
   *
   * @param hiddenFrom what set the run's hidden widths, for the error (e.g. "--model mlp --hidden 128")
   * @throws IllegalArgumentException naming the file and what was wrong: unreadable, malformed, an
   *     unsupported ONNX operator, a shape that does not fit (naming both shapes), a non-finite value
   */
  public static Loaded load(String uri, ModelSpec spec, String hiddenFrom) {
    MatchResult.Metadata meta = Artifacts.metadataOrNull(uri);
    if (meta == null) {
      throw new IllegalArgumentException("initial model " + uri + " does not exist");
    }
    if (meta.sizeBytes() > MAX_BYTES) {
      throw new IllegalArgumentException("initial model " + uri + " is " + meta.sizeBytes() + " bytes, more than the "
          + MAX_BYTES + " a model file may have");
    }
    byte[] bytes = Artifacts.read(uri, "initial model");
    String format;
    Parameters model;
    String note = null;
    String chain = null;
    if (BundleFormat.looksLikeBundle(bytes)) {
      format = "FedBeam model bundle";
      var bundle = BundleFormat.decode(bytes, uri);
      model = bundle.model();
      chain = bundle.provenance().trim().startsWith("[") ? bundle.provenance() : null;
    } else if (bytes.length >= 4 && bytes[0] == 'F' && bytes[1] == 'B' && bytes[2] == 'M' && bytes[3] == 'D') {
      format = "FedBeam model";
      model = ModelFormat.decode(bytes, uri);
    } else {
      format = "ONNX";
      OnnxImport.Network network = OnnxImport.read(bytes, uri);
      model = network.parameters();
      if (network.preprocessing() != null) {
        note = "initial model " + uri + ": its own standardisation (Sub/Div before the first layer) is not imported;"
            + " the run standardises the data itself";
      }
    }
    if (!model.spec().equals(spec)) {
      throw new IllegalArgumentException("initial model " + uri + " (" + format + ") is " + model.spec().describe()
          + ", which does not fit the run's model " + spec.describe() + ": the inputs must be the data's "
          + spec.inputs() + " features, the outputs its " + spec.classes() + " classes and the hidden layers those of "
          + hiddenFrom + hint(model.spec(), spec));
    }
    int bad = model.firstNonFinite();
    if (bad >= 0) {
      throw new IllegalArgumentException("initial model " + uri + ": parameter " + bad + " is " + model.get(bad)
          + "; a model to start from must be finite");
    }
    return new Loaded(model, uri + " (" + format + ", sha256 " + Artifacts.sha256Hex(bytes) + ")", note, chain);
  }

  /** {@code settings} starting from the model at {@code uri} (unchanged when {@code uri} is null). */
  public static RoundLoop.Settings apply(RoundLoop.Settings settings, String uri, String hiddenFrom, PrintStream out) {
    if (uri == null || uri.isBlank()) {
      return settings;
    }
    Loaded loaded = load(uri, settings.spec(), hiddenFrom);
    if (out != null) {
      out.println("initial model: " + loaded.origin() + ", " + loaded.model().spec().describe());
      if (loaded.note() != null) {
        out.println(loaded.note());
      }
    }
    // a bundle's chain (pretrained, federated, fine-tuned...) goes on in this run's provenance
    return settings.withInitialModel(loaded.model(), loaded.chain() != null ? loaded.chain() : loaded.origin());
  }

  private static String hint(ModelSpec file, ModelSpec run) {
    if (file.inputs() != run.inputs() || file.classes() != run.classes()) {
      return "";
    }
    String hidden = file.layers().subList(1, file.layers().size() - 1).toString().replaceAll("[\\[\\] ]", "");
    return hidden.isEmpty() ? " (the file has no hidden layer: logreg)" : " (the file's hidden widths: " + hidden + ")";
  }
}
