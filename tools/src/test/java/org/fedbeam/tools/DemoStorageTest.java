package org.fedbeam.tools;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo's {@code --storage} choice: what it accepts, and that local storage keeps the demo's folders. */
class DemoStorageTest {
  private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());
  @TempDir
  Path dir;

  @Test
  void anUnknownStorageIsRefusedBeforeAnyWork() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Demo.run(List.of("--storage", "s3", "--output", dir.toString()), QUIET));

    assertThat(e.getMessage(), allOf(containsString("--storage must be local or azurite"), containsString("was s3")));
  }

  @Test
  void localStorageKeepsEachPartysFolders() {
    try (DemoStorage local = DemoStorage.open("local", dir, List.of("silo-00"), QUIET)) {
      assertThat(List.of(local.name(), local.siloState("silo-00"), local.exchange("silo-00"), local.orchestratorOutput(),
              local.siloData("silo-00", "/p/train.fbds"), local.evaluationSet("test", "/p/test.fbds")),
          equalTo(List.of("local", dir.resolve("silos/silo-00/state").toString(), dir.resolve("exchange/silo-00").toString(),
              dir.resolve("orchestrator/run").toString(), "/p/train.fbds", "/p/test.fbds")));
    }
  }

  @Test
  void localStorageCreatesTheExchangeFolderAndPassesNoFlags() {
    try (DemoStorage local = DemoStorage.open("local", dir, List.of("silo-00"), QUIET)) {
      String exchange = local.exchange("silo-00");

      assertThat(List.of(Files.isDirectory(Path.of(exchange)), local.siloFlags("silo-00"), local.orchestratorFlags()),
          equalTo(List.of(true, List.of(), List.of())));
    }
  }
}
