/**
 * Where pipelines run: the embedded Flink cluster ({@link org.fedbeam.pipelines.runners.EmbeddedFlink}),
 * a remote one ({@link org.fedbeam.pipelines.runners.RemoteFlink}), the choice between them ({@link
 * org.fedbeam.pipelines.runners.Runners}), and standalone Flink 1.16 session clusters on this machine,
 * one per trust boundary, without Docker ({@link org.fedbeam.pipelines.runners.StandaloneCluster}, its
 * mutual TLS in {@link org.fedbeam.pipelines.runners.ClusterTls}, its REST client {@link
 * org.fedbeam.pipelines.runners.FlinkRest}); the configuration comes from {@code flink-conf/} and the
 * class path from {@code flink-conf/cluster/pom.xml}. The only package that uses Flink's own API.
 */
package org.fedbeam.pipelines.runners;
