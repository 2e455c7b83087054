import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.fedbeam.pipelines.loop.SimulationData;
import org.fedbeam.pipelines.loop.TrainOptions;
import org.fedbeam.transforms.storage.AzureContainers;
import org.fedbeam.transforms.storage.ContainerAccounts;

/**
 * Two one-shot steps of docker-compose.yml that FedBeam's CLI has no command for; compiled against
 * the job jar when the image is built (flink-conf/docker/Dockerfile), run by entrypoint.sh.
 *
 * <pre>
 *   create-containers FILE     creates every blob container FILE (an Azure containers file, see
 *                              ContainerAccounts) lists, in its own account, unless it exists:
 *                              Beam's azfs:// does not create containers
 *   demo-data PART OUT_DIR     splits Fashion-MNIST as 'fedbeam train --silos 2 --seed 42' does and
 *                              keeps one party's part: PART silo-00 or silo-01 -> OUT_DIR/train.fbds,
 *                              PART orchestrator -> OUT_DIR/validation.fbds and OUT_DIR/test.fbds
 * </pre>
 *
 * The split is deterministic, so each party can make its own part in its own container without
 * seeing the other parts' files.
 */
public final class ComposeTools {
  private static final int DEMO_SILOS = 2;
  private static final long DEMO_SEED = 42;

  private ComposeTools() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 2 && args[0].equals("create-containers")) {
      createContainers(Path.of(args[1]));
    } else if (args.length == 3 && args[0].equals("demo-data")) {
      demoData(args[1], Path.of(args[2]));
    } else {
      System.err.println("usage: ComposeTools create-containers FILE | demo-data silo-00|silo-01|orchestrator OUT_DIR");
      System.exit(2);
    }
  }

  static void createContainers(Path file) {
    ContainerAccounts accounts = ContainerAccounts.read(file);
    for (String container : accounts.containerNames()) {
      ContainerAccounts.Account account = accounts.accountOf(container);
      boolean created = AzureContainers.ensure(account.connectionString(), container);
      System.out.printf("container %s in account %s: %s%n", container, account.name(),
          created ? "created" : "already there");
    }
  }

  static void demoData(String part, Path out) throws IOException {
    Map<String, String> keep = switch (part) {
      case "silo-00", "silo-01" -> Map.of("silos/" + part + "/train.fbds", "train.fbds");
      case "orchestrator" -> Map.of("orchestrator/validation.fbds", "validation.fbds", "orchestrator/test.fbds",
          "test.fbds");
      default -> throw new IllegalArgumentException("PART must be silo-00, silo-01 or orchestrator; was '" + part + "'");
    };
    Path scratch = Files.createTempDirectory("fedbeam-demo-data");
    try {
      TrainOptions options = PipelineOptionsFactory.fromArgs("--output=" + scratch, "--silos=" + DEMO_SILOS,
          "--seed=" + DEMO_SEED, "--dataset=fashion-mnist").as(TrainOptions.class);
      SimulationData data = SimulationData.prepare(options, System.out);
      Files.createDirectories(out);
      for (var file : keep.entrySet()) {
        Path target = out.resolve(file.getValue());
        Path partial = out.resolve("." + file.getValue() + ".tmp");
        Files.copy(scratch.resolve(file.getKey()), partial, StandardCopyOption.REPLACE_EXISTING);
        Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        System.out.printf("%s: %s (%d bytes)%n", part, target, Files.size(target));
      }
      if (part.startsWith("silo-")) {
        System.out.printf("%s: %d training rows of %s%n", part, data.siloSizes().get(part), data.source());
      }
    } finally {
      try (Stream<Path> files = Files.walk(scratch)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }
}
