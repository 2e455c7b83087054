package org.fedbeam.transforms;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Artifacts#requireNoLinks} and {@link Artifacts#move}: no link below a root is followed. */
class ArtifactsLinksTest {
  @TempDir
  Path dir;

  @Test
  void aLinkAtAnyLevelBelowTheRootIsFoundAndNamed() throws Exception {
    Path root = dir.resolve("exchange");
    Files.createDirectories(root.resolve("a/b"));
    Files.createDirectories(dir.resolve("private"));
    Files.createSymbolicLink(root.resolve("a/b/c"), dir.resolve("private"));
    Files.createSymbolicLink(root.resolve("a/file.json"), dir.resolve("private/x"));

    Artifacts.LinkFound deep = assertThrows(Artifacts.LinkFound.class,
        () -> Artifacts.requireNoLinks(root.toString(), root.resolve("a/b/c/d/e.json").toString()));
    Artifacts.LinkFound last = assertThrows(Artifacts.LinkFound.class,
        () -> Artifacts.requireNoLinks(root.toString(), root.resolve("a/file.json").toString()));

    assertThat(deep.link(), equalTo(root.resolve("a/b/c").toString()));
    assertThat(last.link(), equalTo(root.resolve("a/file.json").toString()));
    Artifacts.requireNoLinks(root.toString(), root.resolve("a/b/new/e.json").toString()); // not there yet: fine
  }

  @Test
  void dotDotAndPathsOutsideTheRootAreRefused() throws Exception {
    Path root = dir.resolve("exchange");
    Files.createDirectories(root.resolve("a"));

    assertThat(assertThrows(IllegalArgumentException.class, () -> Artifacts.requireNoLinks(root.toString(),
        root + "/a/../../private/x")).getMessage(), containsString("is not under"));
    assertThat(assertThrows(IllegalArgumentException.class, () -> Artifacts.requireNoLinks(root.toString(),
        root + "/a/../a/x")).getMessage(), containsString("'..' segment"));
  }

  @Test
  void theRootItselfMayBeALinkAndAzfsIsNotChecked() throws Exception {
    Files.createDirectories(dir.resolve("real/a"));
    Path root = dir.resolve("root-link");
    Files.createSymbolicLink(root, dir.resolve("real"));

    Artifacts.requireNoLinks(root.toString(), root.resolve("a/x.json").toString());
    Artifacts.requireNoLinks("azfs://acct/container/ex", "azfs://acct/container/ex/requests/x.json");
  }

  @Test
  void movingALinkMovesTheLinkNotItsTarget() throws Exception {
    Path target = dir.resolve("private.bin");
    Files.write(target, new byte[] {1, 2, 3});
    Path link = dir.resolve("ex/link");
    Files.createDirectories(link.getParent());
    Files.createSymbolicLink(link, target);

    Artifacts.move(link.toString(), dir.resolve("ex/rejected/link.1").toString());

    assertThat(Files.isSymbolicLink(dir.resolve("ex/rejected/link.1")), equalTo(true));
    assertThat(Files.readAllBytes(target), equalTo(new byte[] {1, 2, 3}));
    assertThat(Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS), equalTo(false));
  }
}
