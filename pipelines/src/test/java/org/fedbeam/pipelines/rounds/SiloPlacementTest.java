package org.fedbeam.pipelines.rounds;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.fedbeam.model.TrainConfig;
import org.fedbeam.pipelines.runners.SiloPlacement;
import org.fedbeam.transforms.Artifacts;
import org.fedbeam.transforms.SiloTask;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Spreading silos over workers by load, and the round descriptor the pipeline reads them from. */
class SiloPlacementTest {
  private static final TrainConfig CONFIG = new TrainConfig(1, 64, 0.05, 0.9, 0);

  @TempDir
  Path dir;

  @Test
  void eachWorkersKeyLandsOnThatWorkersFlinkPartition() {
    for (int workers = 1; workers <= 16; workers++) {
      int[] keys = SiloPlacement.keys(workers);
      for (int w = 0; w < workers; w++) {
        assertThat(workers + " workers, key " + keys[w], SiloPlacement.partition(keys[w], workers), equalTo(w));
      }
    }
  }

  @Test
  void theFashionMnistSplitIsBalancedWithinOneSilo() {
    // the shard sizes (samples) of the main job's ten silos in round 3
    long[] sizes = {3832, 5188, 3469, 3561, 5979, 8402, 7006, 4131, 6035, 6397};
    List<SiloTask> tasks = new ArrayList<>();
    Map<String, Long> bytes = new HashMap<>();
    for (int i = 0; i < sizes.length; i++) {
      tasks.add(new SiloTask("silo-0" + i, "/data/silo-0" + i, 3, i, CONFIG));
      bytes.put("silo-0" + i, sizes[i]);
    }

    List<List<SiloTask>> groups = SiloPlacement.balance(tasks, bytes, 2);

    long[] load = groups.stream().mapToLong(g -> g.stream().mapToLong(t -> bytes.get(t.siloId())).sum()).toArray();
    assertThat(load[0] + load[1], equalTo(54000L));
    assertThat(Math.abs(load[0] - load[1]), lessThanOrEqualTo(3469L)); // LPT: within the smallest shard here
    assertThat(groups.get(0).get(0).siloId(), equalTo("silo-05")); // the largest silo starts first
    List<String> all = new ArrayList<>();
    groups.forEach(g -> g.forEach(t -> all.add(t.siloId())));
    assertThat(all, containsInAnyOrder(tasks.stream().map(SiloTask::siloId).toArray()));
  }

  @Test
  void emptySilosAreSpreadToo() {
    List<SiloTask> tasks = List.of(new SiloTask("a", "/a", 1, 1, CONFIG), new SiloTask("b", "/b", 1, 2, CONFIG));

    List<List<SiloTask>> groups = SiloPlacement.balance(tasks, Map.of("a", 0L, "b", 0L), 2);

    assertThat(groups.get(0).size(), equalTo(1));
    assertThat(groups.get(1).size(), equalTo(1));
  }

  @Test
  void aDescriptorRoundTripsAndItsSourcePlacesEveryTask() {
    List<SiloTask> tasks = List.of(new SiloTask("silo-a", "/a", 4, 11, CONFIG), new SiloTask("silo-b", "/b", 4, -7, CONFIG),
        new SiloTask("silo-c", "/c", 4, 13, new TrainConfig(2, 8, 0.1, 0.0, 1e-4)));
    Map<String, Long> bytes = Map.of("silo-a", 10L, "silo-b", 30L, "silo-c", 20L);
    String uri = RoundDescriptor.uri(dir.toString());
    RoundDescriptor written = new RoundDescriptor(4, "/m/3.fbm", "/m/4.fbm", "/r/4", tasks, bytes, "/s/3.state", "/s/4.state");
    written.write(uri);

    assertThat(RoundDescriptor.read(uri), equalTo(written));
    var placed = RoundTasksSource.of(uri, 2).placedTasks();
    assertThat(placed.size(), equalTo(3));
    int[] keys = SiloPlacement.keys(2);
    assertThat(placed.get(0).getKey(), equalTo(keys[0]));
    assertThat(placed.get(0).getValue().siloId(), equalTo("silo-b"));
  }

  @Test
  void aDescriptorWithAMissingFieldNamesTheFileAndTheField() {
    String uri = dir.resolve("rounds").resolve("current-round.json").toString();
    Artifacts.writeAtomically(uri, ("{\"round\": 2, \"global_model\": \"/m\", \"model_out\": \"/o\", \"round_dir\": \"/r\","
        + " \"state_in\": \"/s/1\", \"state_out\": \"/s/2\", \"tasks\": [{\"silo\": \"silo-a\", \"data\": \"/a\","
        + " \"train\": {\"epochs\": 1, \"batch_size\": 8, \"learning_rate\": 0.1, \"momentum\": 0, \"weight_decay\": 0},"
        + " \"shard_bytes\": 5}]}").getBytes());

    IllegalStateException e = assertThrows(IllegalStateException.class, () -> RoundDescriptor.read(uri));

    assertThat(e.getMessage(), containsString(uri));
    assertThat(e.getMessage(), containsString("\"seed\" of silo silo-a"));
  }

  @Test
  void aDescriptorWithTwoTasksForOneSiloIsRejected() {
    List<SiloTask> twice = List.of(new SiloTask("silo-a", "/a", 1, 1, CONFIG), new SiloTask("silo-a", "/a2", 1, 2, CONFIG));

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new RoundDescriptor(1, "/m", "/o", "/r", twice, Map.of("silo-a", 1L), "/s/0", "/s/1"));

    assertThat(e.getMessage(), containsString("silo silo-a has two tasks"));
  }
}
