package org.fedbeam.pipelines.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.util.Base64;
import java.util.Map;

/**
 * The signed envelope every message between the parties travels in, one JSON document:
 *
 * <pre>
 * {"format": "fedbeam-signed-v1", "type": "round-request", "signer": KEY_ID,
 *  "body": BASE64(body JSON bytes), "signature": BASE64(Ed25519(format \n type \n body bytes))}
 * </pre>
 *
 * The signature covers the exact body bytes and the message type, so a body cannot be altered
 * and a signed message of one type cannot be passed off as another. Opening an envelope checks,
 * in order: that it parses, its format, its type, that the signer is one of the trusted keys, and
 * the signature; only then is the body parsed.
 */
public final class Signed {
  public static final String FORMAT = "fedbeam-signed-v1";
  public static final ObjectMapper JSON = org.fedbeam.transforms.StrictJson.mapper();
  /** Larger envelopes are refused before parsing: every message here is a few hundred bytes. */
  public static final int MAX_BYTES = 64 * 1024;

  /** An opened, verified envelope. */
  public record Opened(String type, String signer, ObjectNode body) {}

  private Signed() {}

  /** Seals {@code body} as a message of {@code type}, signed by {@code signer}. */
  public static byte[] seal(String type, ObjectNode body, Keys.Identity signer) {
    byte[] bodyBytes;
    try {
      bodyBytes = JSON.writeValueAsBytes(body);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    ObjectNode envelope = JSON.createObjectNode();
    envelope.put("format", FORMAT);
    envelope.put("type", type);
    envelope.put("signer", signer.keyId());
    envelope.put("body", Base64.getEncoder().encodeToString(bodyBytes));
    envelope.put("signature", Base64.getEncoder().encodeToString(Signatures.sign(signer.privateKey(),
        signedBytes(type, bodyBytes))));
    try {
      return JSON.writeValueAsBytes(envelope);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Opens and verifies an envelope.
   *
   * @param types the message types accepted here
   * @param trusted key id -> public key of every signer trusted for these messages
   * @throws Rejected naming what is wrong (malformed, wrong type, unknown signer, bad signature)
   */
  public static Opened open(byte[] envelope, java.util.Set<String> types, Map<String, PublicKey> trusted)
      throws Rejected {
    if (envelope.length > MAX_BYTES) {
      throw new Rejected("malformed message", envelope.length + " bytes, more than " + MAX_BYTES);
    }
    JsonNode node;
    try {
      node = JSON.readTree(envelope);
    } catch (IOException e) {
      throw new Rejected("malformed message", "not JSON (" + firstLine(e.getMessage()) + ")");
    }
    if (node == null || !node.isObject()) {
      throw new Rejected("malformed message", "not a JSON object");
    }
    String format = text(node, "format");
    String type = text(node, "type");
    String signer = text(node, "signer");
    String body = text(node, "body");
    String signature = text(node, "signature");
    if (!FORMAT.equals(format)) {
      throw new Rejected("malformed message", "format is " + format + ", expected " + FORMAT);
    }
    if (type == null || !types.contains(type)) {
      throw new Rejected("unexpected message type", "type " + type + ", expected one of " + types);
    }
    if (signer == null || body == null || signature == null) {
      throw new Rejected("malformed message", "signer, body or signature missing");
    }
    PublicKey key = trusted.get(signer);
    if (key == null) {
      throw new Rejected("signed by an unknown key", "key id " + signer);
    }
    byte[] bodyBytes;
    byte[] signatureBytes;
    try {
      bodyBytes = Base64.getDecoder().decode(body);
      signatureBytes = Base64.getDecoder().decode(signature);
    } catch (IllegalArgumentException e) {
      throw new Rejected("malformed message", "body or signature is not Base64");
    }
    if (!Signatures.verify(key, signedBytes(type, bodyBytes), signatureBytes)) {
      throw new Rejected("signature does not verify", "signer " + signer + ": the message was altered or not signed by it");
    }
    JsonNode parsed;
    try {
      parsed = JSON.readTree(bodyBytes);
    } catch (IOException e) {
      throw new Rejected("malformed message", "signed body is not JSON");
    }
    if (parsed == null || !parsed.isObject()) {
      throw new Rejected("malformed message", "signed body is not a JSON object");
    }
    return new Opened(type, signer, (ObjectNode) parsed);
  }

  private static byte[] signedBytes(String type, byte[] body) {
    byte[] head = (FORMAT + "\n" + type + "\n").getBytes(StandardCharsets.UTF_8);
    byte[] all = new byte[head.length + body.length];
    System.arraycopy(head, 0, all, 0, head.length);
    System.arraycopy(body, 0, all, head.length, body.length);
    return all;
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v != null && v.isTextual() ? v.asText() : null;
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
