package org.fedbeam.pipelines.loop;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Review of issue 12 (independent attacker): {@code --overwrite} deletes a run's files
 * ({@link RunState#delete}, the real code the loop calls) in a folder where another local user
 * may have planted symbolic links.
 */
class RunStateReviewAttackTest {
  @TempDir
  Path dir;

  // Found by an independent review (a defect, now fixed): RunState.delete lists checkpoints/*, models/*, state/*, rounds/** with Beam's glob match,
  // which walks through symbolic links to directories, and deletes each match through the link. A
  // local user who can write to the run's folder plants rounds/evil -> the owner's folder (or makes
  // models/ a link); the owner's `fedbeam train --overwrite` (or `orchestrate --overwrite`) then
  // deletes the owner's files outside the run. Every path should be checked with
  // Artifacts.requireNoLinks(output, file) (links removed as links, never followed).
  @Test
  void overwriteNeverDeletesThroughALinkPlantedInTheRunFolder() throws Exception {
    Path owner = Files.createDirectories(dir.resolve("owner-home"));
    Path precious = Files.writeString(owner.resolve("thesis.tex"), "years of work");
    Path ownerModels = Files.createDirectories(dir.resolve("owner-models"));
    Path keep = Files.writeString(ownerModels.resolve("production.fbm"), "the model in production");

    Path run = Files.createDirectories(dir.resolve("run"));
    Files.writeString(run.resolve("run.json"), "{}");
    Files.createDirectories(run.resolve("rounds/round-0001"));
    Files.writeString(run.resolve("rounds/round-0001/aggregate.json"), "{}");
    Files.createSymbolicLink(run.resolve("rounds/evil"), owner);
    Files.createSymbolicLink(run.resolve("models"), ownerModels);

    ByteArrayOutputStream progress = new ByteArrayOutputStream();
    RunState.delete(run.toString(), new PrintStream(progress, true, StandardCharsets.UTF_8));

    assertThat("a file reached through rounds/evil -> " + owner + " was deleted", Files.exists(precious), equalTo(true));
    assertThat("a file reached through models -> " + ownerModels + " was deleted", Files.exists(keep), equalTo(true));
    assertThat("the run's own round record is deleted", Files.exists(run.resolve("rounds/round-0001/aggregate.json")),
        equalTo(false));
  }
}
