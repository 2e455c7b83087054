package org.fedbeam.pipelines;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A docker-compose.yml read into Jackson's tree, with the Compose file format's short and long
 * spellings of networks, mounts, ports and commands brought to one form each. Only what {@link
 * DockerComposeTest} checks; YAML anchors and {@code extends} are not resolved.
 */
final class ComposeFile {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /** A volume or bind mount: {@code source} is a volume's name or a host path as written. */
  record Mount(String source, String target, boolean bind, boolean readOnly) {}

  /** A published port: host address ("" if none was given), host port, container port. */
  record Port(String hostIp, String published, String target) {}

  final ObjectNode root;

  ComposeFile(ObjectNode root) {
    this.root = root;
  }

  static ComposeFile read(Path file) throws IOException {
    return new ComposeFile((ObjectNode) YAML.readTree(Files.readString(file)));
  }

  /** A deep copy, to break on purpose. */
  ComposeFile copy() {
    return new ComposeFile(root.deepCopy());
  }

  Map<String, JsonNode> services() {
    return fields(root.path("services"));
  }

  ObjectNode service(String name) {
    return (ObjectNode) root.path("services").get(name);
  }

  Map<String, JsonNode> networks() {
    return fields(root.path("networks"));
  }

  Map<String, JsonNode> volumes() {
    return fields(root.path("volumes"));
  }

  /** The networks a service joins: the list form or the keys of the map form. */
  static Set<String> networksOf(JsonNode service) {
    Set<String> names = new LinkedHashSet<>();
    JsonNode networks = service.path("networks");
    if (networks.isArray()) {
      networks.forEach(n -> names.add(n.asText()));
    } else {
      networks.fieldNames().forEachRemaining(names::add);
    }
    return names;
  }

  /** A service's mounts; short syntax SOURCE:TARGET[:MODE] or long syntax {type, source, target}. */
  static List<Mount> mountsOf(JsonNode service) {
    List<Mount> mounts = new ArrayList<>();
    for (JsonNode v : service.path("volumes")) {
      if (v.isTextual()) {
        String[] parts = v.asText().split(":");
        if (parts.length == 1) {
          mounts.add(new Mount("", parts[0], false, false)); // an anonymous volume
        } else {
          boolean readOnly = parts.length > 2 && List.of(parts[2].split(",")).contains("ro");
          mounts.add(new Mount(parts[0], parts[1], isHostPath(parts[0]), readOnly));
        }
      } else {
        String source = v.path("source").asText("");
        mounts.add(new Mount(source, v.path("target").asText(), v.path("type").asText("volume").equals("bind"),
            v.path("read_only").asBoolean(false)));
      }
    }
    return mounts;
  }

  private static boolean isHostPath(String source) {
    return source.startsWith(".") || source.startsWith("/") || source.startsWith("~");
  }

  /** Published ports; short syntax [[IP:]HOST:]CONTAINER[/PROTOCOL] or long syntax {host_ip, published, target}. */
  static List<Port> portsOf(JsonNode service) {
    List<Port> ports = new ArrayList<>();
    for (JsonNode p : service.path("ports")) {
      if (p.isObject()) {
        ports.add(new Port(p.path("host_ip").asText(""), p.path("published").asText(""), p.path("target").asText()));
        continue;
      }
      String spec = p.asText().replaceFirst("/(tcp|udp)$", "");
      String[] parts = spec.split(":");
      switch (parts.length) {
        case 1 -> ports.add(new Port("", "", parts[0]));
        case 2 -> ports.add(new Port("", parts[0], parts[1]));
        default -> ports.add(new Port(String.join(":", Arrays.copyOf(parts, parts.length - 2)), parts[parts.length - 2],
            parts[parts.length - 1]));
      }
    }
    return ports;
  }

  /** The command as a list: the exec form as is, the shell form split at spaces. */
  static List<String> commandOf(JsonNode service) {
    JsonNode command = service.path("command");
    List<String> words = new ArrayList<>();
    if (command.isArray()) {
      command.forEach(c -> words.add(c.asText()));
    } else if (command.isTextual()) {
      words.addAll(Arrays.asList(command.asText().trim().split("\\s+")));
    }
    return words;
  }

  /**
   * The words of a service's healthcheck test: the exec form's elements after CMD, or the shell
   * form's command (CMD-SHELL, or a plain string) split at white space; empty if it has none.
   */
  static List<String> healthcheckWords(JsonNode service) {
    JsonNode test = service.path("healthcheck").path("test");
    List<String> words = new ArrayList<>();
    if (test.isTextual()) {
      words.addAll(Arrays.asList(test.asText().trim().split("\\s+")));
    } else {
      for (int i = 0; i < test.size(); i++) {
        String w = test.get(i).asText();
        if (i == 0 && (w.equals("CMD") || w.equals("CMD-SHELL") || w.equals("NONE"))) {
          continue;
        }
        words.addAll(Arrays.asList(w.trim().split("\\s+")));
      }
    }
    return words;
  }

  /** The value of {@code --name=VALUE} in a service's command, or null. */
  static String flag(JsonNode service, String name) {
    return commandOf(service).stream().filter(w -> w.startsWith("--" + name + "=")).map(w -> w.substring(name.length() + 3))
        .findFirst().orElse(null);
  }

  /** An environment variable of a service, from the map or the list form; null if unset. */
  static String environment(JsonNode service, String name) {
    JsonNode env = service.path("environment");
    if (env.isObject()) {
      return env.has(name) ? env.get(name).asText() : null;
    }
    for (JsonNode e : env) {
      if (e.asText().startsWith(name + "=")) {
        return e.asText().substring(name.length() + 1);
      }
    }
    return null;
  }

  private static Map<String, JsonNode> fields(JsonNode node) {
    Map<String, JsonNode> out = new LinkedHashMap<>();
    node.fields().forEachRemaining(f -> out.put(f.getKey(), f.getValue()));
    return out;
  }
}
