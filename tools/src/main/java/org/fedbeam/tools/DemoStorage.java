package org.fedbeam.tools;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.options.PipelineOptions;
import org.fedbeam.testing.AzuriteServer;
import org.fedbeam.transforms.Artifacts;
import org.fedbeam.transforms.storage.AzureContainers;
import org.fedbeam.transforms.storage.ContainerAccounts;
import org.fedbeam.transforms.storage.ContainerAccountsClientFactory;

/**
 * Where {@link Demo} keeps each party's data, as URIs: local folders under the demo's folder, or
 * containers on an Azurite emulator the demo starts (and stops on {@link #close()}).
 *
 * <p>On Azurite each container lives in its own storage account, so that a key opens one
 * container: {@code silo-NN-private} (account {@code siloNNprivate}: the silo's shard and its state
 * with the audit log), {@code silo-NN-exchange} (account {@code siloNNexchange}) and {@code
 * orchestrator} (account {@code orchestrator}: evaluation sets, models, round records). Each party
 * gets a {@link ContainerAccounts} file with the keys of exactly the containers it uses: a silo its
 * private container and its exchange, the orchestrator its own container and every silo's
 * exchange. Nothing is put on a command line but the file's path.
 */
abstract class DemoStorage implements AutoCloseable {
  /** {@code local} or {@code azurite}. */
  abstract String name();

  /** The URI the silo reads its shard from; the shard prepared at {@code preparedUri} is moved there. */
  abstract String siloData(String silo, String preparedUri);

  abstract String siloState(String silo);

  abstract String exchange(String silo);

  abstract String orchestratorOutput();

  /** The URI the orchestrator reads an evaluation set from; moved there from {@code preparedUri}. */
  abstract String evaluationSet(String name, String preparedUri);

  /** Beam flags for the silo's agent process. */
  abstract List<String> siloFlags(String silo);

  /** Beam flags for the orchestrator's process. */
  abstract List<String> orchestratorFlags();

  /** Lets {@code options} (and this JVM's {@link FileSystems}) reach every location, as the demo's operator. */
  abstract void configure(PipelineOptions options);

  @Override
  public void close() {}

  static DemoStorage open(String name, Path dir, Collection<String> silos, PrintStream out) {
    return switch (name) {
      case "local" -> new Local(dir);
      case "azurite" -> Azurite.start(dir, silos, out);
      default -> throw new IllegalArgumentException("--storage must be local or azurite, was " + name);
    };
  }

  /** Folders under the demo's folder: what the demo did before there was a choice. */
  static final class Local extends DemoStorage {
    private final Path dir;

    Local(Path dir) {
      this.dir = dir;
    }

    @Override
    String name() {
      return "local";
    }

    @Override
    String siloData(String silo, String preparedUri) {
      return preparedUri;
    }

    @Override
    String siloState(String silo) {
      return dir.resolve("silos").resolve(silo).resolve("state").toString();
    }

    @Override
    String exchange(String silo) {
      Path exchange = dir.resolve("exchange").resolve(silo);
      try {
        Files.createDirectories(exchange);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create the exchange folder " + exchange, e);
      }
      return exchange.toString();
    }

    @Override
    String orchestratorOutput() {
      return dir.resolve("orchestrator/run").toString();
    }

    @Override
    String evaluationSet(String name, String preparedUri) {
      return preparedUri;
    }

    @Override
    List<String> siloFlags(String silo) {
      return List.of();
    }

    @Override
    List<String> orchestratorFlags() {
      return List.of();
    }

    @Override
    void configure(PipelineOptions options) {}
  }

  /** An Azurite emulator with one account per container; see the class comment. */
  static final class Azurite extends DemoStorage {
    static final String ORCHESTRATOR = "orchestrator";
    private final Path dir;
    private final AzuriteServer server;
    private final Path operatorFile;
    private final Map<String, String> accountOf;

    private Azurite(Path dir, AzuriteServer server, Path operatorFile, Map<String, String> accountOf) {
      this.dir = dir;
      this.server = server;
      this.operatorFile = operatorFile;
      this.accountOf = Map.copyOf(accountOf);
    }

    /** Starts Azurite with data under {@code DIR/azurite}, creates the containers and writes each party's file. */
    static Azurite start(Path dir, Collection<String> silos, PrintStream out) {
      Map<String, String> accountOf = new LinkedHashMap<>(); // container -> account
      accountOf.put(ORCHESTRATOR, ORCHESTRATOR);
      for (String silo : silos) {
        accountOf.put(privateContainer(silo), account(silo, "private"));
        accountOf.put(exchangeContainer(silo), account(silo, "exchange"));
      }
      Map<String, String> keys = new LinkedHashMap<>();
      accountOf.values().forEach(a -> keys.put(a, AzuriteServer.newAccountKey()));
      AzuriteServer server = AzuriteServer.start(dir.resolve("azurite"), keys);
      try {
        Map<String, ContainerAccounts.Account> all = new LinkedHashMap<>();
        accountOf.forEach((container, account) -> {
          // signed with the account's own key: fails if Azurite did not take the accounts
          AzureContainers.ensure(server.connectionString(account), container);
          all.put(container, ContainerAccounts.Account.fromConnectionString(server.connectionString(account)));
        });
        Path operatorFile = dir.resolve("azurite/operator-containers.json");
        new ContainerAccounts(all).write(operatorFile);
        for (String silo : silos) {
          subset(all, List.of(privateContainer(silo), exchangeContainer(silo))).write(siloFile(dir, silo));
        }
        List<String> orchestrator = new ArrayList<>(List.of(ORCHESTRATOR));
        silos.forEach(s -> orchestrator.add(exchangeContainer(s)));
        subset(all, orchestrator).write(orchestratorFile(dir));
        out.printf("azurite: blob service on 127.0.0.1:%d, %d containers in %d accounts, data under %s%n",
            server.port(), all.size(), keys.size(), server.folder());
        return new Azurite(dir, server, operatorFile, accountOf);
      } catch (RuntimeException e) {
        server.close();
        throw e;
      }
    }

    @Override
    String name() {
      return "azurite";
    }

    @Override
    String siloData(String silo, String preparedUri) {
      return move(preparedUri, uri(privateContainer(silo), "train.fbds"));
    }

    @Override
    String siloState(String silo) {
      return uri(privateContainer(silo), "state");
    }

    @Override
    String exchange(String silo) {
      return uri(exchangeContainer(silo), ""); // the whole container
    }

    @Override
    String orchestratorOutput() {
      return uri(ORCHESTRATOR, "run");
    }

    @Override
    String evaluationSet(String name, String preparedUri) {
      return move(preparedUri, uri(ORCHESTRATOR, name + ".fbds"));
    }

    @Override
    List<String> siloFlags(String silo) {
      return ContainerAccountsClientFactory.flags(siloFile(dir, silo));
    }

    @Override
    List<String> orchestratorFlags() {
      return ContainerAccountsClientFactory.flags(orchestratorFile(dir));
    }

    @Override
    void configure(PipelineOptions options) {
      ContainerAccountsClientFactory.configure(options, operatorFile);
      FileSystems.setDefaultPipelineOptions(options);
    }

    @Override
    public void close() {
      server.close();
    }

    static String privateContainer(String silo) {
      return silo + "-private";
    }

    static String exchangeContainer(String silo) {
      return silo + "-exchange";
    }

    static Path siloFile(Path dir, String silo) {
      return dir.resolve("silos").resolve(silo).resolve("azure-containers.json");
    }

    static Path orchestratorFile(Path dir) {
      return dir.resolve("orchestrator/azure-containers.json");
    }

    /** {@code silo-00} -> {@code silo00private}: account names are lowercase letters and digits. */
    private static String account(String silo, String role) {
      return silo.replaceAll("[^a-z0-9]", "") + role;
    }

    /** {@code azfs://ACCOUNT/CONTAINER/path}; Beam routes by the container (see ContainerAccountsClientFactory). */
    private String uri(String container, String path) {
      return "azfs://" + accountOf.get(container) + "/" + container + "/" + path;
    }

    /** Copies what was prepared on local disk to {@code target} and deletes the local copy. */
    private static String move(String preparedUri, String target) {
      Artifacts.writeAtomically(target, Artifacts.read(preparedUri, "prepared data"));
      try {
        Files.delete(Path.of(preparedUri));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot delete the local copy " + preparedUri + " after moving it to " + target, e);
      }
      return target;
    }

    private static ContainerAccounts subset(Map<String, ContainerAccounts.Account> all, List<String> containers) {
      Map<String, ContainerAccounts.Account> some = new LinkedHashMap<>();
      containers.forEach(c -> some.put(c, all.get(c)));
      return new ContainerAccounts(some);
    }
  }
}
