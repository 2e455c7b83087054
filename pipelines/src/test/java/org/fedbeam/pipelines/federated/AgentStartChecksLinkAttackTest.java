package org.fedbeam.pipelines.federated;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Second review of issue 13, regression (the defence holds): anyone who can write to a silo's exchange can
 * plant a symbolic link at the start checks' probe name {@code .agent-start-check}. The agent writes and
 * deletes that probe at start; it must neither write through the link (truncating the link's target) nor
 * delete the target, whether the target is a file or a folder of the silo's.
 */
class AgentStartChecksLinkAttackTest {
  private static final String SILO = "alpha";
  private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
  @TempDir
  Path dir;
  private World world;

  @BeforeEach
  void setUp() throws Exception {
    world = new World(dir, List.of(SILO));
  }

  private List<String> check() throws Exception {
    return AgentStartChecks.check(SiloPolicy.read(world.writePolicy(SILO, world.policy(SILO))), NOW);
  }

  @Test
  void aProbeLinkToAFileOfTheSiloIsNeitherWrittenThroughNorDeletedThrough() throws Exception {
    Path victim = world.privateDir(SILO).resolve("precious.txt");
    Files.writeString(victim, "the silo's own file", StandardCharsets.UTF_8);
    Path probe = Path.of(world.exchanges.get(SILO), AgentStartChecks.PROBE);
    Files.createDirectories(probe.getParent());
    Files.createSymbolicLink(probe, victim);

    List<String> warnings = check();

    assertThat(warnings, empty());
    assertThat(Files.readString(victim, StandardCharsets.UTF_8), equalTo("the silo's own file"));
    assertThat(Files.exists(probe, LinkOption.NOFOLLOW_LINKS), equalTo(false));
  }

  @Test
  void aProbeLinkToAFolderOfTheSiloLeavesTheFolderAndItsFiles() throws Exception {
    Path folder = Files.createDirectories(world.privateDir(SILO).resolve("keep"));
    Path inside = folder.resolve("a.txt");
    Files.writeString(inside, "kept", StandardCharsets.UTF_8);
    Path probe = Path.of(world.exchanges.get(SILO), AgentStartChecks.PROBE);
    Files.createDirectories(probe.getParent());
    Files.createSymbolicLink(probe, folder);

    check();

    assertThat(Files.isDirectory(folder, LinkOption.NOFOLLOW_LINKS), equalTo(true));
    assertThat(Files.readString(inside, StandardCharsets.UTF_8), equalTo("kept"));
  }
}
