package org.fedbeam.pipelines.federated;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import org.fedbeam.transforms.Artifacts;

/**
 * An exclusive lock on a job's output folder, held while an orchestrator runs the job
 * ({@code OUTPUT/orchestrate.lock}), so that two runs never drive the same job at once (e.g. a
 * scheduled slice that overlaps the next one): the second is refused, naming the holder.
 *
 * <p>On a local (or NFS/SMB-mounted) folder it is the operating system's lock on the file
 * ({@link FileChannel#tryLock()}): it is released when the process ends, however it ends (a
 * SIGKILL leaves no stale lock). An output on {@code azfs://} has no such lock: none is taken, and
 * the scheduler must not start two runs of one job at once (the ADF pipeline in {@code deploy/adf}
 * has {@code concurrency: 1}, so ADF queues a slice while the previous one runs).
 */
final class RunLock implements AutoCloseable {
  static final String FILE = "orchestrate.lock";
  private final FileChannel channel;
  private final FileLock lock;

  private RunLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /** Takes the lock of job {@code jobId}'s {@code output}, or refuses saying who holds it. */
  static RunLock acquire(String output, String jobId, PrintStream out) throws IOException {
    Path dir = Artifacts.localPath(output);
    if (dir == null) {
      out.println("note: " + output + " is not a local folder: no lock is taken; the scheduler must not run two"
          + " orchestrators of job " + jobId + " at once (deploy/adf's pipeline has concurrency 1)");
      return new RunLock(null, null);
    }
    Files.createDirectories(dir);
    Path file = dir.resolve(FILE);
    if (Files.isSymbolicLink(file)) {
      throw new IllegalStateException(file + " is a symbolic link; remove it (the lock file is the orchestrator's own)");
    }
    FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
        StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null; // held by this JVM already
    }
    if (lock == null) {
      String holder = holder(channel);
      channel.close();
      throw new IllegalStateException("job " + jobId + " is being run by another orchestrator (" + holder + "), which"
          + " holds the lock " + file + "; two runs never drive one job at once: this one stops without posting"
          + " anything. Run it again when the other has stopped.");
    }
    String me = "pid " + ProcessHandle.current().pid() + " on " + host() + " since " + Instant.now();
    channel.truncate(0);
    channel.write(ByteBuffer.wrap(me.getBytes(StandardCharsets.UTF_8)), 0);
    channel.force(true);
    return new RunLock(channel, lock);
  }

  private static String holder(FileChannel channel) {
    try {
      ByteBuffer b = ByteBuffer.allocate(256);
      int n = channel.read(b, 0);
      // the file may have been written by anyone who can write to OUTPUT: printable characters only
      return n <= 0 ? "unknown holder" : new String(b.array(), 0, n, StandardCharsets.UTF_8)
          .replaceAll("[^\\p{Print}]", "?").strip();
    } catch (IOException e) {
      return "unknown holder";
    }
  }

  private static String host() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "this host";
    }
  }

  @Override
  public void close() throws IOException {
    if (channel != null) {
      lock.release();
      channel.close();
    }
  }
}
