package org.fedbeam.pipelines.federated;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import org.fedbeam.pipelines.protocol.Messages;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A local user (another OS user on the silo's host) must not read the silo's private folders.
 * The state folder holds the round descriptor with the round's seed (from which the DP noise of
 * the round can be drawn again and subtracted from the published update), the privacy ledger, the
 * audit log with every refusal's detail, staged updates and Flink's temporary files; the key folder
 * holds the signing key and the silo secret. Folders made with the default umask (0755) let anyone
 * list and read them. Replayed: after the agent starts and answers a round, both folders are
 * owner-only, even when they existed before with wider modes.
 */
class SiloFilesModeTest {
  @TempDir
  Path dir;
  private World world;

  @BeforeEach
  void setUp() throws Exception {
    world = new World(dir, List.of("alpha"));
  }

  @AfterEach
  void tearDown() throws Exception {
    world.close();
  }

  @Test
  void theStateAndKeyFoldersAreOwnerOnlyEvenIfMadeWider() throws Exception {
    Path state = dir.resolve("private/alpha/state");
    Path key = dir.resolve("private/alpha/key");
    Files.createDirectories(state);
    Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rwxr-xr-x"));
    SiloAgent agent = world.agent("alpha");
    world.publish("alpha", "job-1", 1, 1, world.submitter, World.encode(world.initialModel()));
    agent.answerPending();
    assertThat(world.answer("alpha", "job-1", 1, 1).type(), equalTo(Messages.UPDATE));

    // what a reader of the state folder would get: the round's own seed
    assertThat(Files.readString(state.resolve("current-round.json")), containsString("\"seed\""));
    for (Path folder : List.of(state, key)) {
      Set<PosixFilePermission> mode = Files.getPosixFilePermissions(folder);
      assertThat(folder + " is " + PosixFilePermissions.toString(mode), PosixFilePermissions.toString(mode),
          equalTo("rwx------"));
    }
  }
}
