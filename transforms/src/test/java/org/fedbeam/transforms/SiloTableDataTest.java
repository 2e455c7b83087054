package org.fedbeam.transforms;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.sameInstance;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.fedbeam.data.table.CategoricalColumn;
import org.fedbeam.data.table.NumericColumn;
import org.fedbeam.data.table.Table;
import org.fedbeam.data.table.TableFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading a silo's prepared table by URI: the cache, and the errors when a table and a shard are mixed up. */
class SiloTableDataTest {
  private static final Table TABLE = table(1.5);
  private static final Table SAME_SIZE_TABLE = table(2.5);
  private static final FileTime EARLIER = FileTime.fromMillis(1_700_000_000_000L);

  @TempDir
  Path dir;

  @Test
  void loadTableReturnsTheTableAndCachesIt() {
    String uri = write("silo.fbt", TABLE);

    Table first = SiloData.loadTable(uri, "silo hospital-a");
    Table second = SiloData.loadTable(uri, "silo hospital-a");

    assertThat(TableFormat.encode(first), equalTo(TableFormat.encode(TABLE)));
    assertThat(first.source(), equalTo(uri));
    assertThat(second, sameInstance(first));
  }

  @Test
  void aRewriteOfTheSameSizeAndTimeIsReadAgainByItsDigest() throws IOException {
    String uri = write("silo.fbt", TABLE);
    Files.setLastModifiedTime(Path.of(uri), EARLIER);
    Table first = SiloData.loadTable(uri, "silo hospital-a");
    write("silo.fbt", SAME_SIZE_TABLE);
    Files.setLastModifiedTime(Path.of(uri), EARLIER);

    Table second = SiloData.loadTable(uri, "silo hospital-a");

    assertThat(second, not(sameInstance(first)));
    assertThat(((NumericColumn) second.column("x")).value(0), equalTo(2.5));
  }

  @Test
  void aTableGivenToTheShardLoaderSaysWhatItIs() {
    String uri = write("silo.fbt", TABLE);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SiloData.load(uri, "silo hospital-a"));

    assertThat(e.getMessage(), allOf(containsString("silo hospital-a"), containsString(uri),
        containsString("is a prepared table, not a numeric shard")));
  }

  @Test
  void aShardGivenToTheTableLoaderSaysWhatItIs() {
    String uri = Fixtures.writeShard(dir, "train.fbds", Fixtures.blobs("silo-a", 10, 3L));

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SiloData.loadTable(uri, "silo silo-a"));

    assertThat(e.getMessage(), allOf(containsString("silo silo-a"), containsString("is a numeric shard, not a prepared table")));
  }

  @Test
  void aCorruptedOrMissingTableIsRejectedNamingTheOwnerAndTheUri() throws IOException {
    byte[] bytes = TableFormat.encode(TABLE);
    bytes[bytes.length - 40] ^= 1;
    Path file = dir.resolve("bad.fbt");
    Files.write(file, bytes);
    String missing = dir.resolve("none.fbt").toString();

    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> SiloData.loadTable(file.toString(), "silo b"));
    IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> SiloData.loadTable(missing, "silo b"));

    assertThat(bad.getMessage(), allOf(containsString("silo b"), containsString(file.toString()), containsString("SHA-256 mismatch")));
    assertThat(none.getMessage(), allOf(containsString("silo b"), containsString(missing), containsString("does not exist")));
  }

  private String write(String name, Table t) {
    String uri = dir.resolve(name).toString();
    Artifacts.writeAtomically(uri, TableFormat.encode(t));
    return uri;
  }

  private static Table table(double first) {
    return new Table("t", List.of(new NumericColumn("x", new double[] {first, Double.NaN, 3}),
        new CategoricalColumn("c", List.of("a", "b"), new int[] {0, 1, -1})),
        new CategoricalColumn("y", List.of("0", "1"), new int[] {0, 1, 1}));
  }
}
