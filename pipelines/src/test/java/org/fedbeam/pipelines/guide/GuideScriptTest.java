package org.fedbeam.pipelines.guide;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How the guide's blocks are read: each names its folder; services are marked; other fences are text. */
class GuideScriptTest {
  private static final String DOC = """
      Intro.
      ```sh
      # owner
      fedbeam keys new --out key
      ```
      ```json
      {"not": "run"}
      ```
      ```
      # hospital-a
      not a shell block either
      ```
      ```sh
      # hospital-a  (runs until stopped: a service)
      fedbeam agent --policy policy.json
      ```
      ```sh
      # .  (the folder that holds the parties)
      ls
      ```
      """;

  @Test
  void readsTheShellBlocksInOrderWithTheirFolderAndWhetherTheyAreServices() {
    GuideScript s = GuideScript.parse(DOC, GuideTest.PARTIES);

    assertThat(s.blocks().stream().map(GuideScript.Block::party).toList(), equalTo(List.of("owner", "hospital-a", ".")));
    assertThat(s.blocks().stream().map(GuideScript.Block::background).toList(), equalTo(List.of(false, true, false)));
    assertThat(s.blocks().get(0).line(), equalTo(2));
    assertThat(s.blocks().get(1).describe(), equalTo("block at line 13 (hospital-a, runs until stopped): fedbeam agent"
        + " --policy policy.json"));
  }

  @Test
  void aShellBlockThatNamesNoFolderOrAnUnknownOneIsRefusedNamingItsLine() {
    var none = assertThrows(IllegalArgumentException.class,
        () -> GuideScript.parse("x\n```sh\nfedbeam pipeline\n```\n", GuideTest.PARTIES));
    var unknown = assertThrows(IllegalArgumentException.class,
        () -> GuideScript.parse("```sh\n# hospital-c\nls\n```\n", GuideTest.PARTIES));
    var open = assertThrows(IllegalArgumentException.class,
        () -> GuideScript.parse("```sh\n# owner\nls\n", GuideTest.PARTIES));

    assertThat(none.getMessage(), containsString("line 3: a ```sh block must start with a comment naming its folder"));
    assertThat(unknown.getMessage(), containsString("line 2: a ```sh block names the folder 'hospital-c'"));
    assertThat(open.getMessage(), containsString("line 1: the fence ```sh is never closed"));
  }

  @Test
  void theGuideItselfParsesAndEveryPartyHasItsBlocks() throws Exception {
    GuideScript s = GuideScript.parse(Files.readString(GuideTest.GUIDE, StandardCharsets.UTF_8), GuideTest.PARTIES);

    for (String party : GuideTest.PARTIES) {
      assertThat(party, s.blocks().stream().anyMatch(b -> b.party().equals(party)), equalTo(true));
    }
    assertThat(s.blocks().stream().filter(GuideScript.Block::background).map(GuideScript.Block::party).toList(),
        equalTo(List.of("hospital-a", "hospital-b")));
  }
}
