package org.fedbeam.transforms.storage;

import com.azure.core.http.HttpPipelineCallContext;
import com.azure.core.http.HttpPipelineNextPolicy;
import com.azure.core.http.HttpPipelineNextSyncPolicy;
import com.azure.core.http.HttpPipelinePosition;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.policy.HttpPipelinePolicy;
import com.azure.storage.blob.BlobServiceClientBuilder;
import org.apache.beam.sdk.io.azure.options.BlobstoreClientBuilderFactory;
import org.apache.beam.sdk.io.azure.options.BlobstoreOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import reactor.core.publisher.Mono;

/**
 * Builds Beam's Azure blob client from {@code --azureConnectionString} and nothing else; select it
 * with {@code --blobstoreClientFactoryClass=org.fedbeam.transforms.storage.ConnectionStringClientFactory}.
 *
 * <p>Beam's default factory also attaches the {@code azureCredentialsProvider} option, whose
 * default is a {@code DefaultAzureCredential}; a bearer token credential refuses plain http ("Using
 * a(n) bearer token requires https"), so the default cannot talk to the Azurite emulator, and on a
 * real account it would mix two kinds of authentication. With this factory the connection string
 * alone says where the account is (its {@code BlobEndpoint}) and how to sign requests (its
 * {@code AccountKey} or {@code SharedAccessSignature}).
 *
 * <p>Beam builds its azfs file system, and so calls this factory, every time a JVM registers file
 * systems for new pipeline options, whether or not the pipeline touches azfs. Without a connection
 * string this factory therefore does not fail there: it returns a client whose every request fails
 * with an {@link IllegalStateException} naming the missing option, so a pipeline on local files
 * runs unaffected and the first azfs call says what is wrong. (It is also cheaper than Beam's
 * default, which builds a {@code DefaultAzureCredential} at each registration.)
 *
 * <p>The account in an {@code azfs://ACCOUNT/...} URI is not used to route requests: every azfs
 * path goes to the account of the connection string.
 *
 * <p>Beam instantiates this class by reflection in every JVM that registers file systems (the
 * launcher and each worker), from the pipeline options it was given, so it has a public
 * no-argument constructor and keeps no state.
 */
public final class ConnectionStringClientFactory implements BlobstoreClientBuilderFactory {
  /** Never contacted: {@link MissingConnectionStringPolicy} fails each request before it is sent. */
  private static final String UNSET_ENDPOINT = "https://azure-connection-string-not-set.invalid";

  /** A builder configured from {@code options.getAzureConnectionString()}; see the class comment when it is unset. */
  @Override
  public BlobServiceClientBuilder createBuilder(BlobstoreOptions options) {
    String connectionString = options.getAzureConnectionString();
    if (connectionString == null || connectionString.isBlank()) {
      return new BlobServiceClientBuilder().endpoint(UNSET_ENDPOINT)
          .addPolicy(new MissingConnectionStringPolicy(connectionString == null ? "unset" : "blank"));
    }
    return new BlobServiceClientBuilder().connectionString(connectionString);
  }

  /**
   * Points {@code options} at the Azure account of {@code connectionString} through this factory:
   * sets {@code azureConnectionString} and {@code blobstoreClientFactoryClass}. Pass the same
   * options to the pipeline (or to {@code FileSystems.setDefaultPipelineOptions} outside one) so
   * that {@code azfs://} URIs resolve there.
   *
   * @return {@code options} viewed as {@link BlobstoreOptions}
   */
  public static BlobstoreOptions configure(PipelineOptions options, String connectionString) {
    BlobstoreOptions blobstore = options.as(BlobstoreOptions.class);
    blobstore.setAzureConnectionString(connectionString);
    blobstore.setBlobstoreClientFactoryClass(ConnectionStringClientFactory.class);
    return blobstore;
  }

  /** Fails every request, once per call (before any retry), saying which option is missing. */
  private static final class MissingConnectionStringPolicy implements HttpPipelinePolicy {
    private final String was;

    MissingConnectionStringPolicy(String was) {
      this.was = was;
    }

    @Override
    public Mono<HttpResponse> process(HttpPipelineCallContext context, HttpPipelineNextPolicy next) {
      return Mono.error(failure(context));
    }

    @Override
    public HttpResponse processSync(HttpPipelineCallContext context, HttpPipelineNextSyncPolicy next) {
      throw failure(context);
    }

    @Override
    public HttpPipelinePosition getPipelinePosition() {
      return HttpPipelinePosition.PER_CALL;
    }

    private IllegalStateException failure(HttpPipelineCallContext context) {
      return new IllegalStateException("azureConnectionString must be set to use azfs:// with blobstoreClientFactoryClass "
          + ConnectionStringClientFactory.class.getName() + ", was " + was + " (request "
          + context.getHttpRequest().getHttpMethod() + " " + context.getHttpRequest().getUrl().getPath() + ")");
    }
  }
}
