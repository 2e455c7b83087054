package org.fedbeam.transforms.storage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Which Azure storage account holds each blob container a process may use, and the key that opens
 * that account: the content of the file that {@code --azureContainerAccounts} names (see {@link
 * ContainerAccountsClientFactory}).
 *
 * <pre>{@code
 * {"format": "fedbeam-azure-containers-v1",
 *  "containers": {"silo-00-private": "DefaultEndpointsProtocol=http;AccountName=silo00private;AccountKey=...;BlobEndpoint=http://127.0.0.1:10000/silo00private;",
 *                 "silo-00-exchange": "...AccountName=silo00exchange..."}}
 * }</pre>
 *
 * <p>Each value is a standard Azure connection string with {@code AccountName} and {@code
 * AccountKey}; the endpoint is its {@code BlobEndpoint}, or {@code
 * DefaultEndpointsProtocol://AccountName.blob.EndpointSuffix} (https and core.windows.net unless
 * given). A container that is not listed cannot be reached through this file at all. The file holds
 * keys: {@link #write} makes it readable by its owner only.
 *
 * @param containers container -> the account that holds it
 */
public record ContainerAccounts(Map<String, Account> containers) {
  public static final String FORMAT = "fedbeam-azure-containers-v1";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One storage account: its name, its blob endpoint (no trailing slash) and its key (Base64). */
  public record Account(String name, String blobEndpoint, String key) {
    public Account {
      if (name == null || name.isBlank() || blobEndpoint == null || blobEndpoint.isBlank() || key == null
          || key.isBlank()) {
        throw new IllegalArgumentException("an account needs a name, a blob endpoint and a key, was name " + name
            + ", endpoint " + blobEndpoint + ", key " + (key == null || key.isBlank() ? "missing" : "present"));
      }
      blobEndpoint = blobEndpoint.endsWith("/") ? blobEndpoint.substring(0, blobEndpoint.length() - 1) : blobEndpoint;
    }

    /**
     * The account of a connection string with {@code AccountName} and {@code AccountKey}.
     *
     * @throws IllegalArgumentException naming what is missing (never echoing the key)
     */
    public static Account fromConnectionString(String connectionString) {
      Map<String, String> parts = new LinkedHashMap<>();
      for (String part : connectionString.split(";")) {
        int eq = part.indexOf('=');
        if (eq > 0) {
          parts.put(part.substring(0, eq).trim(), part.substring(eq + 1).trim());
        }
      }
      String name = parts.get("AccountName");
      if (name == null || !parts.containsKey("AccountKey")) {
        throw new IllegalArgumentException("a container's connection string must have AccountName and AccountKey "
            + "(SharedAccessSignature is not supported here), had the fields " + parts.keySet());
      }
      String endpoint = parts.getOrDefault("BlobEndpoint", parts.getOrDefault("DefaultEndpointsProtocol", "https")
          + "://" + name + ".blob." + parts.getOrDefault("EndpointSuffix", "core.windows.net"));
      return new Account(name, endpoint, parts.get("AccountKey"));
    }

    /** This account as a connection string. */
    public String connectionString() {
      String protocol = blobEndpoint.startsWith("http://") ? "http" : "https";
      return "DefaultEndpointsProtocol=" + protocol + ";AccountName=" + name + ";AccountKey=" + key + ";BlobEndpoint="
          + blobEndpoint + ";";
    }
  }

  public ContainerAccounts {
    containers.keySet().forEach(AzureContainers::requireValidName);
    containers = Map.copyOf(containers);
  }

  /** The account of {@code container}, or null if this file does not list it. */
  public Account accountOf(String container) {
    return containers.get(container);
  }

  public Set<String> containerNames() {
    return new java.util.TreeSet<>(containers.keySet());
  }

  /**
   * Reads a file written by {@link #write}.
   *
   * @throws UncheckedIOException naming the file if it cannot be read
   * @throws IllegalArgumentException naming the file and the field if it is not this format
   */
  public static ContainerAccounts read(Path file) {
    JsonNode root;
    try {
      root = JSON.readTree(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the Azure containers file " + file + ": " + e.getMessage(), e);
    }
    if (root == null || !FORMAT.equals(root.path("format").asText()) || !root.path("containers").isObject()) {
      throw new IllegalArgumentException("the Azure containers file " + file + " must be a JSON object with \"format\": \""
          + FORMAT + "\" and an object \"containers\" (container -> connection string)");
    }
    Map<String, Account> containers = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.get("containers").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      try {
        containers.put(e.getKey(), Account.fromConnectionString(e.getValue().asText()));
      } catch (IllegalArgumentException bad) {
        throw new IllegalArgumentException("the Azure containers file " + file + ", container " + e.getKey() + ": "
            + bad.getMessage(), bad);
      }
    }
    return new ContainerAccounts(containers);
  }

  /** Writes this to {@code file} atomically, readable and writable by its owner only (it holds keys). */
  public void write(Path file) {
    ObjectNode root = JSON.createObjectNode();
    root.put("format", FORMAT);
    ObjectNode out = root.putObject("containers");
    new java.util.TreeMap<>(containers).forEach((container, account) -> out.put(container, account.connectionString()));
    try {
      Path dir = file.toAbsolutePath().getParent();
      Files.createDirectories(dir);
      Path temp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.write(temp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root).getBytes(StandardCharsets.UTF_8));
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the Azure containers file " + file + ": " + e.getMessage(), e);
    }
  }
}
