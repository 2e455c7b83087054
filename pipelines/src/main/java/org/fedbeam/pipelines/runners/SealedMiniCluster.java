package org.fedbeam.pipelines.runners;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.stream.Collectors;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.blob.TransientBlobService;
import org.apache.flink.runtime.dispatcher.DispatcherGateway;
import org.apache.flink.runtime.dispatcher.DispatcherRestEndpoint;
import org.apache.flink.runtime.dispatcher.SessionDispatcherFactory;
import org.apache.flink.runtime.dispatcher.runner.DefaultDispatcherRunnerFactory;
import org.apache.flink.runtime.entrypoint.component.DefaultDispatcherResourceManagerComponentFactory;
import org.apache.flink.runtime.entrypoint.component.DispatcherResourceManagerComponentFactory;
import org.apache.flink.runtime.leaderelection.LeaderElectionService;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.runtime.resourcemanager.ResourceManagerGateway;
import org.apache.flink.runtime.resourcemanager.StandaloneResourceManagerFactory;
import org.apache.flink.runtime.rest.RestEndpointFactory;
import org.apache.flink.runtime.rest.handler.RestHandlerConfiguration;
import org.apache.flink.runtime.rest.handler.RestHandlerSpecification;
import org.apache.flink.runtime.rest.handler.job.JobSubmitHandler;
import org.apache.flink.runtime.rest.handler.legacy.files.StaticFileServerHandler;
import org.apache.flink.runtime.rest.handler.legacy.metrics.MetricFetcher;
import org.apache.flink.runtime.rpc.FatalErrorHandler;
import org.apache.flink.runtime.webmonitor.WebMonitorEndpoint;
import org.apache.flink.runtime.webmonitor.retriever.LeaderGatewayRetriever;
import org.apache.flink.shaded.netty4.io.netty.channel.ChannelInboundHandler;

/**
 * Flink's MiniCluster with a REST endpoint that serves fewer of Flink's own handlers.
 *
 * <p>Flink 1.16's MiniCluster always starts its REST endpoint (there is no option to switch it off:
 * {@code MiniCluster} builds a session {@code DispatcherRestEndpoint} whatever the configuration
 * says), and with {@code flink-runtime-web} on the class path that endpoint also serves the web UI.
 * This cluster takes jobs from its own process only ({@code MiniCluster#submitJob}), so its endpoint
 * never registers {@code POST /jobs}; and unless {@code webUi} is set it registers no web UI
 * (static files) either, leaving the read-only REST API, behind mutual TLS and on loopback.
 * {@code /jars} handlers come only with {@code web.submit.enable}, which the caller leaves off.
 */
final class SealedMiniCluster extends MiniCluster {
  private final boolean webUi;

  SealedMiniCluster(MiniClusterConfiguration conf, boolean webUi) {
    super(conf);
    this.webUi = webUi;
  }

  @Override
  protected DispatcherResourceManagerComponentFactory createDispatcherResourceManagerComponentFactory() {
    return new DefaultDispatcherResourceManagerComponentFactory(
        DefaultDispatcherRunnerFactory.createSessionRunner(SessionDispatcherFactory.INSTANCE),
        StandaloneResourceManagerFactory.getInstance(), new Endpoints(webUi));
  }

  /** Flink's session REST endpoint, less the handlers this cluster does not serve. */
  private record Endpoints(boolean webUi) implements RestEndpointFactory<DispatcherGateway> {
    @Override
    public WebMonitorEndpoint<DispatcherGateway> createRestEndpoint(Configuration conf,
        LeaderGatewayRetriever<DispatcherGateway> dispatcher, LeaderGatewayRetriever<ResourceManagerGateway> resourceManager,
        TransientBlobService blobs, ScheduledExecutorService executor, MetricFetcher metrics,
        LeaderElectionService election, FatalErrorHandler errors) throws Exception {
      RestHandlerConfiguration handlers = RestHandlerConfiguration.fromConfiguration(conf);
      return new DispatcherRestEndpoint(dispatcher, conf, handlers, resourceManager, blobs, executor, metrics, election,
          RestEndpointFactory.createExecutionGraphCache(handlers), errors) {
        @Override
        protected List<Tuple2<RestHandlerSpecification, ChannelInboundHandler>> initializeHandlers(
            CompletableFuture<String> localAddress) {
          return super.initializeHandlers(localAddress).stream()
              .filter(h -> !(h.f1 instanceof JobSubmitHandler))
              .filter(h -> webUi || !(h.f1 instanceof StaticFileServerHandler))
              .collect(Collectors.toList());
        }
      };
    }
  }
}
