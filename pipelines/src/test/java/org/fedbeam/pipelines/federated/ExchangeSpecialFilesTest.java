package org.fedbeam.pipelines.federated;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.fedbeam.pipelines.protocol.Exchange;
import org.fedbeam.pipelines.protocol.Messages;
import org.fedbeam.pipelines.protocol.RefusalReason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Anyone who can write to the exchange may put there what is neither a file nor a link: a named
 * pipe (FIFO) at the place of a genuine request's global model. Opening a FIFO for reading blocks
 * until someone writes to it, so an agent that opens it hangs and answers nothing more, for any
 * job. Replayed against the real agent: the request is refused ({@link RefusalReason#GLOBAL_MODEL}),
 * the next request in the same pass is answered, and the FIFO is never opened.
 */
class ExchangeSpecialFilesTest {
  @TempDir
  Path dir;
  private World world;
  private final ExecutorService pool = Executors.newSingleThreadExecutor();

  @BeforeEach
  void setUp() throws Exception {
    world = new World(dir, List.of("alpha"));
  }

  @AfterEach
  void tearDown() throws Exception {
    pool.shutdownNow();
    world.assertEveryRefusalReasonIsFixed();
    world.close();
  }

  @Test
  void aNamedPipeInPlaceOfAGlobalModelIsRefusedWithoutBlockingTheAgent() throws Exception {
    byte[] global = World.encode(world.initialModel());
    world.publish("alpha", "job-1", 1, 1, world.submitter, global);
    world.publish("alpha", "job-2", 1, 1, world.submitter, global);
    Exchange ex = new Exchange(world.exchanges.get("alpha"));
    Path model = Path.of(ex.globalModel(new Exchange.Slot("job-1", 1, 1)));
    Files.delete(model);
    Process mkfifo = new ProcessBuilder("mkfifo", model.toString()).inheritIO().start();
    assertThat(mkfifo.waitFor(), equalTo(0));
    SiloAgent agent = world.agent("alpha");

    Future<Integer> pass = pool.submit(agent::answerPending);
    int answered;
    try {
      answered = pass.get(120, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      // unblock the agent's reader so the test can end, then fail
      try (var out = Files.newOutputStream(model)) {
        out.write(new byte[0]);
      }
      throw new AssertionError("the agent blocked on a named pipe planted in the exchange", e);
    }

    assertThat(answered, equalTo(2));
    SiloAgentTest.assertRefused(world, "alpha", "job-1", 1, 1, RefusalReason.GLOBAL_MODEL, "not a regular file");
    assertThat(world.answer("alpha", "job-2", 1, 1).type(), equalTo(Messages.UPDATE));
  }
}
