package org.fedbeam.pipelines.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.fedbeam.data.FeatureScaling;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.bundle.BundleFormat;
import org.fedbeam.model.bundle.ModelBundle;
import org.fedbeam.preprocess.Preprocessing;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.transforms.Artifacts;

/**
 * The model {@code fedbeam finetune} starts from, read from a bundle ({@code .fbmb}: with its feature
 * names, scaling, class labels and provenance chain) or a bare model ({@code .fbm}: none of those;
 * its provenance is its sidecar {@code .json} if a run wrote one).
 *
 * @param parameters the model
 * @param featureNames the raw columns it reads, or null for a bare model
 * @param scaling the preprocessing of those columns, or null for a bare model
 * @param classLabels the label of each output, in order, or null for a bare model
 * @param chain the provenance chain so far (a JSON array of stages, oldest first)
 * @param uri where it was read from
 * @param sha256 the file's SHA-256
 * @param preprocessing the bundle's table preprocessing (a bundle from a CSV run), or null
 */
record FinetuneModel(Parameters parameters, List<String> featureNames, FeatureScaling scaling,
    List<String> classLabels, ArrayNode chain, String uri, String sha256, Preprocessing preprocessing) {

  FinetuneModel(Parameters parameters, List<String> featureNames, FeatureScaling scaling, List<String> classLabels,
      ArrayNode chain, String uri, String sha256) {
    this(parameters, featureNames, scaling, classLabels, chain, uri, sha256, null);
  }

  boolean isBundle() {
    return featureNames != null;
  }

  /** Reads {@code uri}; a corrupt, truncated or newer file is refused naming the file. */
  static FinetuneModel read(String uri) {
    byte[] bytes = Artifacts.read(uri, "model");
    String sha = Artifacts.sha256Hex(bytes);
    if (BundleFormat.looksLikeBundle(bytes)) {
      ModelBundle bundle = BundleFormat.decode(bytes, uri);
      return new FinetuneModel(bundle.model(), bundle.featureNames(), bundle.scaling(), bundle.classLabels(),
          chain(bundle.provenance(), uri), uri, sha, bundle.preprocessing());
    }
    Parameters model = ModelFormat.decode(bytes, uri);
    ArrayNode chain = RoundRecords.JSON.createArrayNode();
    ObjectNode stage = chain.addObject();
    String sidecar = uri.replaceAll("\\.fbm$", ".json");
    boolean fromRun = !sidecar.equals(uri) && Artifacts.exists(sidecar);
    JsonNode run = fromRun ? RoundRecords.readJson(sidecar, "the model's provenance") : null;
    // a run's round-NNNN.fbm (round >= 1) is a federated model; anything else is just a model file
    boolean federated = run != null && run.path("round").asInt(0) >= 1;
    stage.put("stage", federated ? "federated" : "model file");
    stage.put("file", uri).put("sha256", sha);
    if (run != null) {
      stage.set("provenance", run);
    }
    return new FinetuneModel(model, null, null, null, chain, uri, sha);
  }

  /** A bundle's provenance as a chain: its JSON array, or (an older or foreign text) one stage holding it. */
  private static ArrayNode chain(String provenance, String uri) {
    try {
      JsonNode node = RoundRecords.JSON.readTree(provenance);
      if (node != null && node.isArray()) {
        return (ArrayNode) node;
      }
      ArrayNode chain = RoundRecords.JSON.createArrayNode();
      chain.addObject().put("stage", "unknown").put("file", uri).set("provenance", node);
      return chain;
    } catch (java.io.IOException e) {
      ArrayNode chain = RoundRecords.JSON.createArrayNode();
      chain.addObject().put("stage", "unknown").put("file", uri).put("provenance_text", provenance);
      return chain;
    }
  }
}
