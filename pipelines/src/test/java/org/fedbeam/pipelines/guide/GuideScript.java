package org.fedbeam.pipelines.guide;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The commands of a guide in Markdown: every fenced {@code ```sh} block, in order. A block's first
 * line is a comment naming the folder it runs in ({@code # hospital-a}); a block whose first line
 * also says {@code runs until stopped} is a service (an agent): it is started in the background and
 * stopped at the end. Other fences ({@code ```json}, {@code ```text}) are for reading only.
 *
 * @param blocks the shell blocks, in the guide's order
 */
record GuideScript(List<Block> blocks) {
  /** What marks a long-running block on its first line. */
  static final String BACKGROUND = "runs until stopped";
  private static final Pattern FIRST = Pattern.compile("^#\\s+(\\S+)(.*)$");

  /**
   * One shell block.
   *
   * @param line the guide's line number of the block's opening fence (1-based)
   * @param party the folder it runs in: one of the parties, or {@code .} for the folder that holds them
   * @param background whether it runs until stopped
   * @param script the block's text, its first line included
   */
  record Block(int line, String party, boolean background, String script) {
    /** How a failure names the block: its line, folder and first command. */
    String describe() {
      String first = script.lines().skip(1).filter(l -> !l.isBlank() && !l.startsWith("#")).findFirst().orElse("");
      return "block at line " + line + " (" + party + (background ? ", " + BACKGROUND : "") + "): " + first;
    }
  }

  /**
   * Reads the shell blocks of {@code markdown}.
   *
   * @param folders the folders a block may name ({@code .} is always allowed)
   * @throws IllegalArgumentException naming the line of a block that names no folder, or an unknown
   *     one, or a fence that is never closed
   */
  static GuideScript parse(String markdown, Set<String> folders) {
    List<Block> blocks = new ArrayList<>();
    String[] lines = markdown.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String fence = lines[i].strip();
      if (!fence.startsWith("```") || fence.length() == 3) {
        if (fence.startsWith("```") && fence.length() == 3) {
          i = close(lines, i); // a bare fence: skip it whole
        }
        continue;
      }
      int open = i;
      int end = close(lines, i);
      if (fence.equals("```sh")) {
        blocks.add(block(lines, open, end, folders));
      }
      i = end;
    }
    return new GuideScript(List.copyOf(blocks));
  }

  private static int close(String[] lines, int open) {
    for (int j = open + 1; j < lines.length; j++) {
      if (lines[j].strip().equals("```")) {
        return j;
      }
    }
    throw new IllegalArgumentException("line " + (open + 1) + ": the fence " + lines[open].strip() + " is never closed");
  }

  private static Block block(String[] lines, int open, int end, Set<String> folders) {
    String first = open + 1 < end ? lines[open + 1] : "";
    Matcher m = FIRST.matcher(first);
    if (!m.matches()) {
      throw new IllegalArgumentException("line " + (open + 2) + ": a ```sh block must start with a comment naming"
          + " its folder (# hospital-a, # hospital-b, # owner or # .), was '" + first + "'");
    }
    String party = m.group(1).replaceAll("[,:;]$", "");
    if (!party.equals(".") && !folders.contains(party)) {
      throw new IllegalArgumentException("line " + (open + 2) + ": a ```sh block names the folder '" + party
          + "', which is not one of " + folders + " or .");
    }
    StringBuilder script = new StringBuilder();
    for (int j = open + 1; j < end; j++) {
      script.append(lines[j]).append('\n');
    }
    return new Block(open + 1, party, m.group(2).contains(BACKGROUND), script.toString());
  }
}
