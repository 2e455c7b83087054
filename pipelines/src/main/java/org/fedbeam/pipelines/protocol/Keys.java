package org.fedbeam.pipelines.protocol;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Ed25519 identities from the JDK: a key pair per submitter and per silo. On disk a key pair is a
 * folder with {@code private.pem} (PKCS#8, readable by its owner only) and {@code public.pem}
 * (X.509). In policy and job files a public key is written as the Base64 of its X.509 encoding,
 * and named by its key id: the first 16 bytes of its SHA-256, in hex.
 */
public final class Keys {
  static final String ALGORITHM = "Ed25519";
  private static final String PRIVATE_FILE = "private.pem";
  private static final String PUBLIC_FILE = "public.pem";

  /** A loaded key pair and its id. */
  public record Identity(String keyId, PrivateKey privateKey, PublicKey publicKey) {
    /** The public key as it is written in policy and job files. */
    public String publicKeyBase64() {
      return Base64.getEncoder().encodeToString(publicKey.getEncoded());
    }
  }

  private Keys() {}

  /** Makes a new key pair in {@code dir} (created if needed); refuses to overwrite an existing one. */
  public static Identity create(Path dir) throws IOException {
    Files.createDirectories(dir);
    Path privateFile = dir.resolve(PRIVATE_FILE);
    if (Files.exists(privateFile) || Files.exists(dir.resolve(PUBLIC_FILE))) {
      throw new IllegalArgumentException("a key pair already exists in " + dir + "; it was left as it is");
    }
    KeyPair pair;
    try {
      pair = KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK cannot make Ed25519 keys: " + e.getMessage(), e);
    }
    Path temp = Files.createTempFile(dir, ".private-", ".tmp");
    try {
      Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system: the folder's own permissions protect the key
    }
    Files.writeString(temp, pem("PRIVATE KEY", pair.getPrivate().getEncoded()), StandardCharsets.US_ASCII);
    Files.move(temp, privateFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    Files.writeString(dir.resolve(PUBLIC_FILE), pem("PUBLIC KEY", pair.getPublic().getEncoded()),
        StandardCharsets.US_ASCII);
    return new Identity(keyId(pair.getPublic()), pair.getPrivate(), pair.getPublic());
  }

  /** A rotation: the key pair that was in force, now in {@code previous/}, and the new one. */
  public record Rotation(Identity previous, Identity current) {}

  /** The folder, in a key folder, that holds the key pair before the last rotation. */
  public static final String PREVIOUS_DIR = "previous";

  /**
   * Rotates the key pair in {@code dir}: a new pair is made beside it, the pair in force moves to
   * {@code dir/previous/} (an older {@code previous/} moves to {@code dir/retired/KEY_ID/}), and
   * the new pair takes its place. The silo secret in {@code dir} is left as it is. A running agent
   * signs with the new key from its next poll; until then, and if it is stopped half-way, it keeps
   * the key it has loaded.
   */
  public static Rotation rotate(Path dir) throws IOException {
    Identity old = load(dir);
    Path next = Files.createTempDirectory(dir, ".rotating-");
    Identity made = create(next.resolve("key"));
    Path previous = dir.resolve(PREVIOUS_DIR);
    if (Files.exists(previous, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      String id;
      try {
        id = load(previous).keyId();
      } catch (IllegalArgumentException e) {
        id = "unreadable-" + System.currentTimeMillis();
      }
      Path retired = dir.resolve("retired").resolve(id);
      Files.createDirectories(retired.getParent());
      Files.move(previous, retired);
    }
    Files.createDirectories(previous);
    for (String file : java.util.List.of(PUBLIC_FILE, PRIVATE_FILE)) {
      Files.move(dir.resolve(file), previous.resolve(file), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
    for (String file : java.util.List.of(PRIVATE_FILE, PUBLIC_FILE)) {
      Files.move(next.resolve("key").resolve(file), dir.resolve(file), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
    Files.delete(next.resolve("key"));
    Files.delete(next);
    return new Rotation(old, load(dir));
  }

  /** The file, in a silo's key folder, that holds the silo's secret. */
  public static final String SILO_SECRET_FILE = "silo-secret";

  /**
   * The silo's secret in its key folder {@code dir}: 32 random bytes (JDK {@link java.security.SecureRandom}),
   * readable by its owner only, made on first use. Round seeds are drawn from it
   * ({@link org.fedbeam.model.Seeds#fromSecret}), so only the silo knows how it shuffles, samples
   * and noises its data. It never leaves the silo.
   */
  public static byte[] siloSecret(Path dir) throws IOException {
    Path file = dir.resolve(SILO_SECRET_FILE);
    if (!Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      Files.createDirectories(dir);
      byte[] secret = new byte[32];
      new java.security.SecureRandom().nextBytes(secret);
      Path temp = Files.createTempFile(dir, ".secret-", ".tmp");
      try {
        Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException e) {
        // not a POSIX file system: the folder's own permissions protect the secret
      }
      Files.write(temp, secret);
      try {
        Files.move(temp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        Files.deleteIfExists(temp);
        throw e;
      }
    }
    if (Files.isSymbolicLink(file) || !Files.isRegularFile(file)) {
      throw new IllegalArgumentException(file + " is not a regular file (a silo secret is never read through a link)");
    }
    byte[] secret = Files.readAllBytes(file);
    if (secret.length != 32) {
      throw new IllegalArgumentException(file + " must hold 32 bytes, holds " + secret.length);
    }
    return secret;
  }

  /** Loads the key pair in {@code dir}; the error names the file that is missing or bad. */
  public static Identity load(Path dir) {
    Path privateFile = dir.resolve(PRIVATE_FILE);
    Path publicFile = dir.resolve(PUBLIC_FILE);
    try {
      KeyFactory factory = KeyFactory.getInstance(ALGORITHM);
      PrivateKey privateKey = factory.generatePrivate(new PKCS8EncodedKeySpec(unpem(read(privateFile), "PRIVATE KEY",
          privateFile)));
      PublicKey publicKey = factory.generatePublic(new X509EncodedKeySpec(unpem(read(publicFile), "PUBLIC KEY",
          publicFile)));
      Identity identity = new Identity(keyId(publicKey), privateKey, publicKey);
      // the pair must belong together: sign with one, verify with the other
      byte[] probe = "fedbeam-key-check".getBytes(StandardCharsets.US_ASCII);
      if (!Signatures.verify(publicKey, probe, Signatures.sign(privateKey, probe))) {
        throw new IllegalArgumentException(privateFile + " and " + publicFile + " are not one key pair");
      }
      return identity;
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("not an Ed25519 key pair in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** A public key from its Base64 X.509 form; {@code where} names the file and field, for errors. */
  public static PublicKey publicKey(String base64, String where) {
    if (base64 == null || base64.isBlank()) {
      throw new IllegalArgumentException(where + ": missing public key");
    }
    try {
      return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(Base64.getDecoder()
          .decode(base64.strip())));
    } catch (IllegalArgumentException | GeneralSecurityException e) {
      throw new IllegalArgumentException(where + ": not a Base64 Ed25519 public key (" + e.getMessage() + ")", e);
    }
  }

  /** The key's id: the first 16 bytes of the SHA-256 of its X.509 encoding, in hex. */
  public static String keyId(PublicKey key) {
    return HexFormat.of().formatHex(sha256(key.getEncoded()), 0, 16);
  }

  public static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read key file " + file + ": " + e.getMessage(), e);
    }
  }

  static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  static byte[] unpem(String text, String type, Path file) {
    String begin = "-----BEGIN " + type + "-----";
    String end = "-----END " + type + "-----";
    int from = text.indexOf(begin);
    int to = text.indexOf(end);
    if (from < 0 || to < from) {
      throw new IllegalArgumentException(file + " is not a PEM " + type + " file");
    }
    try {
      return Base64.getMimeDecoder().decode(text.substring(from + begin.length(), to));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": bad Base64 in the PEM body", e);
    }
  }
}
