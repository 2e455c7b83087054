package org.fedbeam.transforms.storage;

import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.BlobStorageException;
import java.util.regex.Pattern;

/**
 * Creates Azure blob containers, which Beam's {@code azfs://} file system does not do: writing to
 * {@code azfs://ACCOUNT/CONTAINER/...} fails with "This container does not exist" until the
 * container is there.
 */
public final class AzureContainers {
  /** Azure's rule: 3-63 lowercase letters, digits and hyphens; no leading, trailing or double hyphen. */
  private static final Pattern CONTAINER_NAME = Pattern.compile("[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}");
  private static final String SCHEME = "azfs://";

  private AzureContainers() {}

  /**
   * Creates {@code container} in the account of {@code connectionString} unless it exists.
   *
   * @return true if this call created it, false if it was already there
   * @throws IllegalArgumentException if {@code container} is not a valid container name
   * @throws IllegalStateException if the service refuses, naming the container and the reason
   */
  public static boolean ensure(String connectionString, String container) {
    requireValidName(container);
    try {
      return new BlobServiceClientBuilder().connectionString(connectionString).buildClient()
          .getBlobContainerClient(container).createIfNotExists();
    } catch (BlobStorageException e) {
      throw new IllegalStateException("cannot create container " + container + ": " + e.getErrorCode()
          + " (HTTP " + e.getStatusCode() + ")", e);
    }
  }

  /**
   * Creates the container that {@code azfsUri} ({@code azfs://ACCOUNT/CONTAINER/path}) lies in,
   * unless it exists; see {@link #ensure(String, String)}.
   */
  public static boolean ensureFor(String connectionString, String azfsUri) {
    return ensure(connectionString, containerOf(azfsUri));
  }

  /** The CONTAINER part of {@code azfs://ACCOUNT/CONTAINER/path}. */
  public static String containerOf(String azfsUri) {
    String[] parts = azfsUri.startsWith(SCHEME) ? azfsUri.substring(SCHEME.length()).split("/", 3) : new String[0];
    if (parts.length < 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
      throw new IllegalArgumentException("azfsUri must look like azfs://ACCOUNT/CONTAINER/path, was " + azfsUri);
    }
    return parts[1];
  }

  static void requireValidName(String container) {
    if (container == null || !CONTAINER_NAME.matcher(container).matches()) {
      throw new IllegalArgumentException("container must be 3-63 lowercase letters, digits and single hyphens, "
          + "starting and ending with a letter or digit, was " + container);
    }
  }
}
