package org.fedbeam.transforms;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.util.VarInt;
import org.fedbeam.model.EvalReport;
import org.fedbeam.model.ModelFormat;
import org.fedbeam.model.ModelFormatException;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.SiloUpdate;
import org.fedbeam.model.SystemMetadata;
import org.fedbeam.model.TrainConfig;

/**
 * Explicit, deterministic coders for every element type FedBeam puts in a PCollection. No Java
 * serialization: each encoding is a fixed sequence of big-endian fields, and parameter vectors use
 * the checksummed {@link ModelFormat}, so a corrupted element fails loudly instead of training on
 * garbage. Every encoding is self-delimiting, so the same bytes serve the outer and nested contexts.
 */
public final class FedBeamCoders {
  private FedBeamCoders() {}

  /** Registers every coder here for its type. */
  public static void registerAll(CoderRegistry registry) {
    registry.registerCoderForClass(Parameters.class, ParametersCoder.of());
    registry.registerCoderForClass(SiloUpdate.class, SiloUpdateCoder.of());
    registry.registerCoderForClass(SiloTask.class, SiloTaskCoder.of());
    registry.registerCoderForClass(AggregateResult.class, AggregateResultCoder.of());
    registry.registerCoderForClass(ModelEvaluation.class, ModelEvaluationCoder.of());
  }

  /** {@link Parameters} as a length-prefixed {@link ModelFormat} file image. */
  public static final class ParametersCoder extends AtomicCoder<Parameters> {
    private static final ParametersCoder INSTANCE = new ParametersCoder();

    public static ParametersCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(Parameters value, OutputStream out) throws IOException {
      byte[] bytes = ModelFormat.encode(value);
      VarInt.encode(bytes.length, out);
      out.write(bytes);
    }

    @Override
    public Parameters decode(InputStream in) throws IOException {
      int length = VarInt.decodeInt(in);
      if (length < 0) {
        throw new CoderException("negative parameter block length " + length);
      }
      byte[] bytes = new byte[length];
      new DataInputStream(in).readFully(bytes);
      try {
        return ModelFormat.decode(bytes, "encoded element");
      } catch (ModelFormatException e) {
        throw new CoderException(e.getMessage(), e);
      }
    }

    @Override
    public void verifyDeterministic() {}
  }

  /** {@link SiloUpdate}: silo id, round, system metadata, then the weights. */
  public static final class SiloUpdateCoder extends AtomicCoder<SiloUpdate> {
    private static final SiloUpdateCoder INSTANCE = new SiloUpdateCoder();

    public static SiloUpdateCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(SiloUpdate value, OutputStream out) throws IOException {
      DataOutputStream data = new DataOutputStream(out);
      data.writeUTF(value.siloId());
      data.writeInt(value.round());
      writeMetadata(value.metadata(), data);
      data.flush();
      ParametersCoder.of().encode(value.weights(), out);
    }

    @Override
    public SiloUpdate decode(InputStream in) throws IOException {
      DataInputStream data = new DataInputStream(in);
      String silo = data.readUTF();
      int round = data.readInt();
      SystemMetadata metadata = readMetadata(data);
      return new SiloUpdate(silo, round, ParametersCoder.of().decode(in), metadata);
    }

    @Override
    public void verifyDeterministic() {}
  }

  /** {@link SiloTask}. */
  public static final class SiloTaskCoder extends AtomicCoder<SiloTask> {
    private static final SiloTaskCoder INSTANCE = new SiloTaskCoder();

    public static SiloTaskCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(SiloTask value, OutputStream out) throws IOException {
      DataOutputStream data = new DataOutputStream(out);
      data.writeUTF(value.siloId());
      data.writeUTF(value.dataUri());
      data.writeInt(value.round());
      data.writeLong(value.seed());
      TrainConfig c = value.config();
      data.writeInt(c.epochs());
      data.writeInt(c.batchSize());
      data.writeDouble(c.learningRate());
      data.writeDouble(c.momentum());
      data.writeDouble(c.weightDecay());
      data.writeBoolean(c.privacy() != null);
      if (c.privacy() != null) {
        data.writeDouble(c.privacy().clip());
        data.writeDouble(c.privacy().noiseMultiplier());
      }
      data.writeDouble(c.proximalMu());
      data.writeUTF(value.attack() == null ? "" : value.attack().id());
      data.flush();
    }

    @Override
    public SiloTask decode(InputStream in) throws IOException {
      DataInputStream data = new DataInputStream(in);
      String silo = data.readUTF();
      String uri = data.readUTF();
      int round = data.readInt();
      long seed = data.readLong();
      TrainConfig config = new TrainConfig(data.readInt(), data.readInt(), data.readDouble(), data.readDouble(),
          data.readDouble(), data.readBoolean() ? new org.fedbeam.model.DpSgd(data.readDouble(), data.readDouble()) : null,
          data.readDouble());
      String attack = data.readUTF();
      return new SiloTask(silo, uri, round, seed, config, attack.isEmpty() ? null : org.fedbeam.model.attack.Attack.parse(attack));
    }

    @Override
    public void verifyDeterministic() {}
  }

  /** {@link AggregateResult}: round, total samples, participants in silo order, then the model or the failure. */
  public static final class AggregateResultCoder extends AtomicCoder<AggregateResult> {
    private static final AggregateResultCoder INSTANCE = new AggregateResultCoder();

    public static AggregateResultCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(AggregateResult value, OutputStream out) throws IOException {
      DataOutputStream data = new DataOutputStream(out);
      data.writeInt(value.round());
      data.writeLong(value.totalSamples());
      writeParticipants(value.participants(), data);
      data.writeBoolean(value.succeeded());
      if (!value.succeeded()) {
        data.writeUTF(value.failure());
      }
      data.flush();
      if (value.succeeded()) {
        ParametersCoder.of().encode(value.model(), out);
      }
    }

    @Override
    public AggregateResult decode(InputStream in) throws IOException {
      DataInputStream data = new DataInputStream(in);
      int round = data.readInt();
      long total = data.readLong();
      SortedMap<String, SystemMetadata> participants = readParticipants(data);
      if (!data.readBoolean()) {
        return new AggregateResult(round, null, total, participants, data.readUTF());
      }
      return new AggregateResult(round, ParametersCoder.of().decode(in), total, participants);
    }

    @Override
    public void verifyDeterministic() {}
  }

  /** {@link ModelEvaluation}, confusion matrix included. */
  public static final class ModelEvaluationCoder extends AtomicCoder<ModelEvaluation> {
    private static final ModelEvaluationCoder INSTANCE = new ModelEvaluationCoder();

    public static ModelEvaluationCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(ModelEvaluation value, OutputStream out) throws IOException {
      DataOutputStream data = new DataOutputStream(out);
      EvalReport r = value.report();
      data.writeUTF(value.dataset());
      data.writeInt(r.samples());
      data.writeDouble(r.accuracy());
      data.writeDouble(r.logLoss());
      data.writeDouble(r.macroF1());
      data.writeInt(r.confusion().length);
      for (long[] row : r.confusion()) {
        for (long v : row) {
          data.writeLong(v);
        }
      }
      data.flush();
    }

    @Override
    public ModelEvaluation decode(InputStream in) throws IOException {
      DataInputStream data = new DataInputStream(in);
      String dataset = data.readUTF();
      int samples = data.readInt();
      double accuracy = data.readDouble();
      double logLoss = data.readDouble();
      double f1 = data.readDouble();
      int k = data.readInt();
      if (k < 0 || k > 1 << 16) {
        throw new CoderException("bad confusion matrix size " + k);
      }
      long[][] confusion = new long[k][k];
      for (long[] row : confusion) {
        for (int j = 0; j < k; j++) {
          row[j] = data.readLong();
        }
      }
      return new ModelEvaluation(dataset, new EvalReport(samples, accuracy, logLoss, f1, confusion));
    }

    @Override
    public void verifyDeterministic() {}
  }

  static void writeMetadata(SystemMetadata m, DataOutputStream data) throws IOException {
    data.writeLong(m.sampleCount());
    data.writeDouble(m.trainLoss());
    data.writeLong(m.trainMillis());
  }

  static SystemMetadata readMetadata(DataInputStream data) throws IOException {
    return new SystemMetadata(data.readLong(), data.readDouble(), data.readLong());
  }

  static void writeParticipants(SortedMap<String, SystemMetadata> participants, DataOutputStream data)
      throws IOException {
    data.writeInt(participants.size());
    for (var e : participants.entrySet()) {
      data.writeUTF(e.getKey());
      writeMetadata(e.getValue(), data);
    }
  }

  static SortedMap<String, SystemMetadata> readParticipants(DataInputStream data) throws IOException {
    int n = data.readInt();
    if (n < 0) {
      throw new CoderException("negative participant count " + n);
    }
    SortedMap<String, SystemMetadata> out = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      out.put(data.readUTF(), readMetadata(data));
    }
    return out;
  }
}
