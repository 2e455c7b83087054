package org.fedbeam.pipelines.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import org.fedbeam.model.DenseNetwork;
import org.fedbeam.model.EvalReport;
import org.fedbeam.model.Freezing;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.Seeds;
import org.fedbeam.model.TrainConfig;
import org.fedbeam.model.TrainResult;
import org.fedbeam.model.bundle.BundleFormat;
import org.fedbeam.model.bundle.ModelBundle;
import org.fedbeam.pipelines.rounds.RoundRecords;
import org.fedbeam.transforms.Artifacts;
import org.fedbeam.transforms.ConfigJson;

/**
 * {@code fedbeam finetune}: continues training a converged model (a bundle or a bare model) on the
 * orchestrator's own labelled data, on this machine (no pipeline: the data is the orchestrator's and
 * small). Optionally replaces the output layer for the data's classes ({@code --new-head}) and keeps
 * the lower layers frozen for the first epochs ({@code --freeze-layers K --freeze-epochs E}). Reports
 * validation and test accuracy before and after, and writes {@code OUTPUT/model.fbmb} (a bundle whose
 * provenance appends a {@code "fine-tuned"} stage to the input's chain) and
 * {@code OUTPUT/finetune-summary.json}. Every check runs before anything is written; an output folder
 * that already holds a fine-tuned model is refused unless {@code --overwrite}.
 */
public final class FinetuneJob {
  /** The fine-tuned bundle's file name in the output folder. */
  public static final String MODEL = "model" + BundleFormat.EXTENSION;
  /** The summary's file name in the output folder. */
  public static final String SUMMARY = "finetune-summary.json";

  private FinetuneJob() {}

  /** Runs the fine-tuning described by {@code o}; returns the summary that was written. */
  public static ObjectNode run(FinetuneOptions o, PrintStream out) throws Exception {
    long t0 = System.nanoTime();
    TrainConfig config = validate(o);
    String modelUri = Artifacts.resolve(o.getOutput(), MODEL);
    String summaryUri = Artifacts.resolve(o.getOutput(), SUMMARY);
    if (!o.getOverwrite()) {
      for (String uri : new String[] {modelUri, summaryUri}) {
        if (Artifacts.exists(uri)) {
          throw new IllegalArgumentException(uri + " already exists: pass --overwrite to replace it, or choose"
              + " another --output");
        }
      }
    }
    FinetuneModel input = FinetuneModel.read(o.getModel());
    int depth = input.parameters().spec().depth();
    if (o.getFreezeLayers() >= depth) {
      throw new IllegalArgumentException("--freeze-layers must be < the depth " + depth + " of model " + o.getModel()
          + " (" + input.parameters().spec() + "; the output layer always trains), was " + o.getFreezeLayers());
    }
    FinetuneData data = FinetuneData.prepare(o, input, out);
    Freezing freezing = new Freezing(o.getFreezeLayers(),
        o.getFreezeEpochs() == null ? o.getEpochs() : o.getFreezeEpochs());
    DenseNetwork net = new DenseNetwork(data.start().spec());
    out.printf("fine-tuning %s (%s) on %s: %d rows, %d validation, %d test%s%s%n", o.getModel(), data.start().spec(),
        data.source(), data.train().size(), data.validation().size(), data.test().size(),
        o.getNewHead() ? "; new output layer for classes " + data.classLabels() : "",
        freezing.layers() > 0 ? "; first " + freezing.layers() + " layer(s) frozen for " + freezing.epochs()
            + " epoch(s)" : "");
    int threads = Runtime.getRuntime().availableProcessors();
    EvalReport validationBefore = net.evaluate(data.start(), data.validation(), threads);
    EvalReport testBefore = net.evaluate(data.start(), data.test(), threads);
    long trainStart = System.nanoTime();
    TrainResult trained = net.train(data.start(), data.train(), config, Seeds.derive(o.getSeed(), "finetune-train"),
        freezing);
    double trainSeconds = (System.nanoTime() - trainStart) / 1e9;
    Parameters model = trained.parameters();
    EvalReport validationAfter = net.evaluate(model, data.validation(), threads);
    EvalReport testAfter = net.evaluate(model, data.test(), threads);

    ObjectNode stage = stage(o, input, data, config, freezing, validationBefore, validationAfter, testBefore, testAfter);
    ArrayNode chain = input.chain().deepCopy();
    chain.add(stage);
    ModelBundle bundle = data.preprocessing() != null
        ? ModelBundle.of(model, data.preprocessing(), RoundRecords.JSON.writeValueAsString(chain))
        : new ModelBundle(model, data.featureNames(), data.scaling(), data.classLabels(),
            RoundRecords.JSON.writeValueAsString(chain));
    byte[] bytes = BundleFormat.encode(bundle);
    Artifacts.writeAtomically(modelUri, bytes);

    ObjectNode summary = stage.deepCopy();
    summary.remove("stage");
    summary.put("final_model", modelUri);
    summary.put("final_model_sha256", Artifacts.sha256Hex(bytes));
    summary.put("train_loss", trained.meanLoss());
    summary.put("train_s", trainSeconds);
    summary.put("total_s", (System.nanoTime() - t0) / 1e9);
    summary.set("evaluation", evaluations(validationBefore, validationAfter, testBefore, testAfter));
    summary.set("provenance", chain);
    Artifacts.writeAtomically(summaryUri, RoundRecords.JSON.writeValueAsBytes(summary));
    out.println();
    out.printf("%-12s %-10s %s%n", "accuracy", "before", "after");
    out.printf("%-12s %-10.4f %.4f%n", "validation", validationBefore.accuracy(), validationAfter.accuracy());
    out.printf("%-12s %-10.4f %.4f%n", "test", testBefore.accuracy(), testAfter.accuracy());
    out.println("fine-tuned model written to " + modelUri);
    ObjectNode line = summary.deepCopy();
    line.remove("provenance");
    line.remove("evaluation");
    out.println("SUMMARY " + RoundRecords.oneLine(line));
    return summary;
  }

  /** Checks every flag that needs neither the model nor the data; returns the training config. */
  static TrainConfig validate(FinetuneOptions o) {
    if (o.getEpochs() < 1) {
      throw new IllegalArgumentException("--epochs must be >= 1, was " + o.getEpochs());
    }
    if (o.getFreezeLayers() < 0) {
      throw new IllegalArgumentException("--freeze-layers must be >= 0, was " + o.getFreezeLayers());
    }
    if (o.getFreezeEpochs() != null && o.getFreezeEpochs() < 0) {
      throw new IllegalArgumentException("--freeze-epochs must be >= 0, was " + o.getFreezeEpochs());
    }
    if (o.getFreezeEpochs() != null && o.getFreezeLayers() == 0) {
      throw new IllegalArgumentException("--freeze-epochs " + o.getFreezeEpochs() + " needs --freeze-layers K >= 1");
    }
    for (var share : new Object[][] {{"--test-share", o.getTestShare()}, {"--validation-share", o.getValidationShare()}}) {
      double v = (Double) share[1];
      if (!(v > 0 && v < 1)) {
        throw new IllegalArgumentException(share[0] + " must be in (0, 1), was " + v);
      }
    }
    try {
      return new TrainConfig(o.getEpochs(), o.getBatchSize(), o.getLr(), o.getMomentum(), o.getWeightDecay());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(e.getMessage().replace("batchSize", "--batch-size")
          .replace("learningRate", "--lr").replace("momentum", "--momentum").replace("weightDecay", "--weight-decay"), e);
    }
  }

  private static ObjectNode stage(FinetuneOptions o, FinetuneModel input, FinetuneData data, TrainConfig config,
      Freezing freezing, EvalReport vb, EvalReport va, EvalReport tb, EvalReport ta) {
    ObjectNode stage = RoundRecords.JSON.createObjectNode();
    stage.put("stage", "fine-tuned");
    stage.put("model", data.start().spec().describe());
    stage.put("parent", input.uri()).put("parent_sha256", input.sha256());
    stage.put("dataset", data.source());
    ObjectNode rows = stage.putObject("rows");
    rows.put("fine_tuning", data.train().size()).put("validation", data.validation().size())
        .put("test", data.test().size());
    stage.put("seed", o.getSeed());
    stage.put("test_share", o.getTestShare()).put("validation_share", o.getValidationShare());
    stage.set("hyperparameters", ConfigJson.toJson(config));
    stage.put("new_head", o.getNewHead());
    stage.put("freeze_layers", freezing.layers()).put("freeze_epochs", Math.min(freezing.epochs(), config.epochs()));
    ArrayNode labels = stage.putArray("class_labels");
    data.classLabels().forEach(labels::add);
    stage.put("validation_accuracy_before", vb.accuracy()).put("validation_accuracy_after", va.accuracy());
    stage.put("test_accuracy_before", tb.accuracy()).put("test_accuracy_after", ta.accuracy());
    stage.put("code_version", Version.line());
    return stage;
  }

  private static ObjectNode evaluations(EvalReport vb, EvalReport va, EvalReport tb, EvalReport ta) {
    ObjectNode node = RoundRecords.JSON.createObjectNode();
    node.set("validation_before", RoundRecords.toJson("validation", vb));
    node.set("validation_after", RoundRecords.toJson("validation", va));
    node.set("test_before", RoundRecords.toJson("test", tb));
    node.set("test_after", RoundRecords.toJson("test", ta));
    return node;
  }
}
