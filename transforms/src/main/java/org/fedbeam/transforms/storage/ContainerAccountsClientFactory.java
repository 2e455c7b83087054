package org.fedbeam.transforms.storage;

import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpPipelineCallContext;
import com.azure.core.http.HttpPipelineNextPolicy;
import com.azure.core.http.HttpPipelineNextSyncPolicy;
import com.azure.core.http.HttpPipelinePosition;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.policy.HttpPipelinePolicy;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.sas.BlobSasPermission;
import com.azure.storage.blob.sas.BlobServiceSasSignatureValues;
import com.azure.storage.common.StorageSharedKeyCredential;
import java.net.URI;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.beam.sdk.io.azure.options.BlobstoreClientBuilderFactory;
import org.apache.beam.sdk.io.azure.options.BlobstoreOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import reactor.core.publisher.Mono;

/**
 * Beam's Azure blob client for a process that may use several storage accounts, each only for the
 * containers it is listed for: {@code --blobstoreClientFactoryClass=org.fedbeam.transforms.storage.ContainerAccountsClientFactory
 * --azureContainerAccounts=FILE} (a {@link ContainerAccounts} file).
 *
 * <p>Why: Beam's {@code azfs://ACCOUNT/CONTAINER/path} ignores ACCOUNT and sends every request to
 * the one account of the client it builds, so with a connection string a process can only use one
 * account, and that account's key opens every container in it. Here each request is routed by its
 * container: the URL is pointed at the account the file lists for that container and signed with
 * that account's key (Shared Key). A container the file does not list is refused before anything
 * is sent ({@link IllegalStateException} naming it), so a process can reach exactly the containers
 * its file names, and holds no key for any other account.
 *
 * <p>How: the client is built for a placeholder endpoint that cannot resolve ({@value #ROUTER}),
 * and a policy, run on every try after the date header is set, rewrites the URL and signs it. Beam
 * renames by Copy Blob From URL with the source URL plus a SAS token: the policy replaces that
 * token with a read-only SAS for the source blob, signed with the source container's key, valid
 * for one hour. (Beam would otherwise derive an account SAS from {@code azureConnectionString};
 * so that it does not try, this factory sets {@code sasToken} to a placeholder when it is unset.)
 *
 * <p>Beam builds its azfs file system, and so calls this factory, every time a JVM registers file
 * systems, whether or not the pipeline touches azfs. A missing option or an unreadable file therefore
 * does not fail there: every azfs request then fails, saying why. The file is read once per
 * registration, in each JVM that registers (the launcher and each worker), so it must exist at the
 * same path wherever the pipeline runs.
 */
public final class ContainerAccountsClientFactory implements BlobstoreClientBuilderFactory {
  /** Never contacted: {@link RouteByContainerPolicy} rewrites every request before it is sent. */
  static final String ROUTER = "https://azfs-container-router.invalid";
  static final String SAS_PLACEHOLDER = "?sas-set-per-copy-by-ContainerAccountsClientFactory";
  private static final HttpHeaderName COPY_SOURCE = HttpHeaderName.fromString("x-ms-copy-source");

  /** A builder whose requests go to the container's own account; see the class comment. */
  @Override
  public BlobServiceClientBuilder createBuilder(BlobstoreOptions options) {
    ContainerAccountsOptions own = options.as(ContainerAccountsOptions.class);
    if (options.getSasToken() == null || options.getSasToken().isEmpty()) {
      options.setSasToken(SAS_PLACEHOLDER);
    }
    String file = own.getAzureContainerAccounts();
    RouteByContainerPolicy policy;
    if (file == null || file.isBlank()) {
      policy = RouteByContainerPolicy.failing("azureContainerAccounts must be set to use azfs:// with "
          + "blobstoreClientFactoryClass " + ContainerAccountsClientFactory.class.getName() + ", was "
          + (file == null ? "unset" : "blank"));
    } else {
      try {
        policy = new RouteByContainerPolicy(ContainerAccounts.read(Path.of(file)), file);
      } catch (RuntimeException e) {
        policy = RouteByContainerPolicy.failing(e.getMessage());
      }
    }
    return new BlobServiceClientBuilder().endpoint(ROUTER).addPolicy(policy);
  }

  /**
   * Points {@code options} at the containers of {@code file} through this factory: sets {@code
   * azureContainerAccounts} and {@code blobstoreClientFactoryClass}.
   *
   * @return {@code options} viewed as {@link ContainerAccountsOptions}
   */
  public static ContainerAccountsOptions configure(PipelineOptions options, Path file) {
    ContainerAccountsOptions own = options.as(ContainerAccountsOptions.class);
    own.setAzureContainerAccounts(file.toAbsolutePath().toString());
    own.setBlobstoreClientFactoryClass(ContainerAccountsClientFactory.class);
    return own;
  }

  /** The command-line flags that {@link #configure} stands for. */
  public static java.util.List<String> flags(Path file) {
    return java.util.List.of("--blobstoreClientFactoryClass=" + ContainerAccountsClientFactory.class.getName(),
        "--azureContainerAccounts=" + file.toAbsolutePath());
  }

  /** Points each request at its container's account and signs it with that account's key. */
  static final class RouteByContainerPolicy implements HttpPipelinePolicy {
    private final ContainerAccounts accounts;
    private final String source;
    private final String failure;
    private final Map<String, StorageSharedKeyCredential> credentials = new ConcurrentHashMap<>();
    private final Map<String, BlobServiceClient> signers = new ConcurrentHashMap<>();

    RouteByContainerPolicy(ContainerAccounts accounts, String source) {
      this.accounts = accounts;
      this.source = source;
      this.failure = null;
    }

    private RouteByContainerPolicy(String failure) {
      this.accounts = new ContainerAccounts(Map.of());
      this.source = null;
      this.failure = failure;
    }

    static RouteByContainerPolicy failing(String failure) {
      return new RouteByContainerPolicy(failure);
    }

    @Override
    public Mono<HttpResponse> process(HttpPipelineCallContext context, HttpPipelineNextPolicy next) {
      try {
        route(context.getHttpRequest());
      } catch (IllegalStateException e) {
        return Mono.error(e);
      }
      return next.process();
    }

    @Override
    public HttpResponse processSync(HttpPipelineCallContext context, HttpPipelineNextSyncPolicy next) {
      route(context.getHttpRequest());
      return next.processSync();
    }

    @Override
    public HttpPipelinePosition getPipelinePosition() {
      return HttpPipelinePosition.PER_RETRY; // after the date header, re-signed on every try
    }

    /** Rewrites {@code request} to its container's account and signs it; fails if it has none. */
    void route(HttpRequest request) {
      String url = request.getUrl().toString();
      ContainerAccounts.Account account;
      if (url.startsWith(ROUTER)) {
        account = accountFor(url, request);
        request.setUrl(account.blobEndpoint() + url.substring(ROUTER.length()));
        String copySource = request.getHeaders().getValue(COPY_SOURCE);
        if (copySource != null && copySource.startsWith(ROUTER)) {
          request.setHeader(COPY_SOURCE, signedCopySource(copySource, request));
        }
      } else { // already routed (a try that reuses the request): sign again for the same account
        account = accounts.containers().values().stream().filter(a -> url.startsWith(a.blobEndpoint() + "/"))
            .findFirst().orElseThrow(() -> new IllegalStateException("request to " + request.getUrl().getPath()
                + " is at none of the accounts of " + source));
      }
      request.setHeader(HttpHeaderName.AUTHORIZATION, credential(account).generateAuthorizationHeader(request.getUrl(),
          request.getHttpMethod().toString(), request.getHeaders(), false));
    }

    private ContainerAccounts.Account accountFor(String routerUrl, HttpRequest request) {
      if (failure != null) {
        throw new IllegalStateException(failure + " (request " + request.getHttpMethod() + " "
            + request.getUrl().getPath() + ")");
      }
      String container = containerOf(routerUrl.substring(ROUTER.length()).replaceFirst("^/", ""));
      ContainerAccounts.Account account = accounts.accountOf(container);
      if (account == null) {
        throw new IllegalStateException("no Azure account for container '" + container + "': this process may use "
            + "only the containers " + accounts.containerNames() + " (from " + source + "); request "
            + request.getHttpMethod() + " " + request.getUrl().getPath());
      }
      return account;
    }

    /** The source blob's URL at its own account, with a read-only SAS for that blob only. */
    private String signedCopySource(String copySource, HttpRequest request) {
      String withoutQuery = copySource.contains("?") ? copySource.substring(0, copySource.indexOf('?')) : copySource;
      String path = withoutQuery.substring(ROUTER.length()).replaceFirst("^/", "");
      String container = containerOf(path);
      ContainerAccounts.Account account = accountFor(withoutQuery, request);
      String blob = URI.create(withoutQuery).getPath().substring(container.length() + 2);
      BlobServiceClient signer = signers.computeIfAbsent(account.name(), n -> new BlobServiceClientBuilder()
          .endpoint(account.blobEndpoint()).credential(credential(account)).buildClient());
      String sas = signer.getBlobContainerClient(container).getBlobClient(blob).generateSas(
          new BlobServiceSasSignatureValues(OffsetDateTime.now().plusHours(1), new BlobSasPermission().setReadPermission(true)));
      return account.blobEndpoint() + "/" + path + "?" + sas;
    }

    private StorageSharedKeyCredential credential(ContainerAccounts.Account account) {
      return credentials.computeIfAbsent(account.name(), n -> new StorageSharedKeyCredential(n, account.key()));
    }

    /** The first segment of {@code path} (no leading slash), which may go on with a query. */
    private static String containerOf(String path) {
      int end = path.length();
      for (char c : new char[] {'/', '?'}) {
        int at = path.indexOf(c);
        end = at >= 0 ? Math.min(end, at) : end;
      }
      String container = path.substring(0, end);
      if (container.isEmpty()) {
        throw new IllegalStateException("an azfs request outside any container (to the account itself) is not "
            + "supported here: each request is routed by its container");
      }
      return container;
    }
  }
}
